"""The external retrieval check (tests/data/external) stays frozen and well-formed.

The set measures retrieval on regulations nobody tuned for. It is only worth something
while nobody edits it to fit the system, so the questions files must match the hashes
recorded when it was frozen, and every gold reference must point at real text: an
evidence string that is not in its gold article would make an item unanswerable by
construction and silently lower the figures.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from corpus.normalize import eval_normalize

EXTERNAL = Path(__file__).parent / "data" / "external"
CORPORA = ("ext_a", "ext_b", "ext_c")
KINDS = {"amount", "eligibility", "time", "procedure", "obligation", "penalty", "other"}
ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零]+条)", re.M)
MIN_ANSWERABLE = 30


def _articles(text: str) -> dict[str, str]:
    """Split a law's text into 第X条 → the text up to the next article heading."""
    starts = list(ARTICLE.finditer(text))
    return {m.group(1): text[m.start(): starts[i + 1].start() if i + 1 < len(starts)
                             else len(text)]
            for i, m in enumerate(starts)}


def _documents(corpus: str) -> dict[str, str]:
    """Document id (from the .meta.yaml sidecar) → the document's text."""
    docs: dict[str, str] = {}
    for md in sorted((EXTERNAL / corpus).glob("*.md")):
        meta = yaml.safe_load(md.with_name(md.name + ".meta.yaml").read_text(encoding="utf-8"))
        docs[meta["id"]] = md.read_text(encoding="utf-8")
    return docs


def _questions(corpus: str) -> list[dict[str, Any]]:
    path = EXTERNAL / corpus / "questions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_questions_match_frozen_hashes() -> None:
    frozen = {}
    for line in (EXTERNAL / "FROZEN.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split()
        frozen[name] = digest
    assert sorted(frozen) == [f"{c}/questions.jsonl" for c in CORPORA]
    for name, digest in frozen.items():
        actual = hashlib.sha256((EXTERNAL / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} changed after freezing; the set must not be edited"


def test_every_corpus_has_provenance_and_sidecars() -> None:
    for corpus in CORPORA:
        folder = EXTERNAL / corpus
        assert (folder / "PROVENANCE.txt").is_file()
        texts = sorted(folder.glob("*.md"))
        assert 3 <= len(texts) <= 6
        for md in texts:
            assert md.with_name(md.name + ".meta.yaml").is_file(), md.name


def test_ids_unique_across_all_corpora() -> None:
    ids = [q["id"] for corpus in CORPORA for q in _questions(corpus)]
    assert len(ids) == len(set(ids))
    doc_ids = [d for corpus in CORPORA for d in _documents(corpus)]
    assert len(doc_ids) == len(set(doc_ids))


@pytest.mark.parametrize("corpus", CORPORA)
def test_items_well_formed_and_enough(corpus: str) -> None:
    items = _questions(corpus)
    answerable = [q for q in items if q.get("answerable", True)]
    assert len(answerable) >= MIN_ANSWERABLE
    assert any(not q.get("answerable", True) for q in items)
    for q in items:
        assert q["id"].startswith(f"{corpus}-")
        assert q["kind"] in KINDS, q["id"]
        if q.get("answerable", True):
            assert q["gold"] and q["evidence"] and len(q["gold"]) <= 2, q["id"]
        else:
            assert q["gold"] == [] and q["evidence"] == [], q["id"]


@pytest.mark.parametrize("corpus", CORPORA)
def test_evidence_is_exact_text_of_a_gold_article(corpus: str) -> None:
    docs = _documents(corpus)
    articles = {doc_id: _articles(text) for doc_id, text in docs.items()}
    for q in _questions(corpus):
        for gold in q["gold"]:
            assert gold["doc_id"] in docs, q["id"]
            assert gold["article"] in articles[gold["doc_id"]], q["id"]
        for evidence in q["evidence"]:
            assert 8 <= len(evidence) <= 30, (q["id"], evidence)
            assert any(evidence in articles[g["doc_id"]][g["article"]] for g in q["gold"]), \
                (q["id"], evidence)
            # The scorer compares normalised forms; the evidence must survive that too.
            assert any(eval_normalize(evidence) in eval_normalize(docs[g["doc_id"]])
                       for g in q["gold"]), (q["id"], evidence)
