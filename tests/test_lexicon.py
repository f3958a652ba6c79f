"""The synonym table is validated data: every entry a string, every key a term the
shipped policy texts use (an expansion to a word no text holds finds nothing)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from corpus.normalize import search_text

LEXICON = Path(__file__).resolve().parents[1] / "corpus" / "lexicon"
TEXTS = Path(__file__).resolve().parents[1] / "corpus" / "texts"
TABLE: dict = yaml.safe_load((LEXICON / "synonyms.yaml").read_text(encoding="utf-8"))


@cache
def shipped_text() -> str:
    return "\n".join(search_text(p.read_text(encoding="utf-8")) for p in TEXTS.rglob("*")
                     if p.suffix in (".md", ".txt") and "PROVENANCE" not in p.name)


def test_every_entry_is_a_list_of_strings() -> None:
    # YAML reads 4050 as a number; the loader needs text
    bad = {k: v for k, v in TABLE.items()
           if not isinstance(k, str) or not isinstance(v, list)
           or not all(isinstance(x, str) and x for x in v)}
    assert bad == {}


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_key_is_a_term_of_the_shipped_texts(key: str) -> None:
    assert search_text(key) in shipped_text()


def test_no_phrase_contains_its_own_key() -> None:
    # such a phrase only ever matches a query that already holds the key
    assert [(k, p) for k, v in TABLE.items() for p in v if search_text(k) in search_text(p)] == []


# ── The colloquial-to-policy vocabulary (lexicon/colloquial.yaml, session 10) ────────────
COLLOQUIAL: dict = yaml.safe_load((LEXICON / "colloquial.yaml").read_text(encoding="utf-8"))
ENTRIES: list[dict] = COLLOQUIAL["entries"]


def test_colloquial_file_carries_its_provenance() -> None:
    assert "Provenance" in (LEXICON / "colloquial.yaml").read_text(encoding="utf-8")


def test_colloquial_entries_follow_the_schema() -> None:
    groups = set(COLLOQUIAL["groups"])
    bad = [e for e in ENTRIES
           if set(e) != {"term", "group", "phrases", "why"}
           or not isinstance(e["term"], str) or e["group"] not in groups
           or not isinstance(e["why"], str) or len(e["why"]) < 10
           or not isinstance(e["phrases"], list) or not e["phrases"]
           or not all(isinstance(p, str) and p for p in e["phrases"])]
    assert bad == []
    assert len({e["term"] for e in ENTRIES}) == len(ENTRIES), "one entry per term"
    assert {e["group"] for e in ENTRIES} == groups, "every group has an entry"


@pytest.mark.parametrize("term", sorted(e["term"] for e in ENTRIES))
def test_each_colloquial_term_is_a_term_of_the_shipped_texts(term: str) -> None:
    assert search_text(term) in shipped_text()


def test_no_colloquial_phrase_contains_its_own_term() -> None:
    assert [(e["term"], p) for e in ENTRIES for p in e["phrases"]
            if search_text(e["term"]) in search_text(p)] == []


def test_no_phrase_maps_to_contradicting_terms() -> None:
    """Across both tables: a phrase expanding to 免费 and 收费 (or 施行 and 废止) would
    pull in clauses that say opposite things."""
    targets: dict[str, set[str]] = {}
    for key, phrases in TABLE.items():
        for p in phrases:
            targets.setdefault(search_text(str(p)), set()).add(search_text(key))
    for e in ENTRIES:
        for p in e["phrases"]:
            targets.setdefault(search_text(p), set()).add(search_text(e["term"]))
    pairs = [tuple(search_text(t) for t in pair) for pair in COLLOQUIAL["contradictions"]]
    assert all(len(p) == 2 for p in pairs)
    clashes = [(phrase, a, b) for phrase, terms in targets.items() for a, b in pairs
               if a in terms and b in terms]
    assert clashes == []


def test_the_expansion_reaches_colloquial_terms() -> None:
    from corpus.tokenize import query_terms

    terms = query_terms(search_text("考证的钱谁来出"))
    assert {"鉴定", "评价", "承担"} <= set(terms)
    assert all(terms[t] < 1.0 for t in ("鉴定", "评价", "承担"))
