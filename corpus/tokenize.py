"""Word tokens for BM25: jieba with the domain dictionary, plus query expansion.

Input is always the normalised search form (``normalize.search_text``): Simplified,
mainland wording, lowercase latin. Search-mode segmentation also emits the sub-words
of long terms (职业技能等级证书 → 职业, 技能, 等级, 证书, …) so a worker's shorter
wording still meets the document's longer one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba
import yaml

from corpus.normalize import search_text

LEXICON = Path(__file__).parent / "lexicon"
_TOKEN = re.compile(r"[\w+]")  # a token must hold a letter, digit, CJK char or '+'
_lock = threading.Lock()

EXPANSION_WEIGHT = 0.6
# "…" in a lexicon phrase stands for a name the worker puts in the middle of it: 考…证
# meets 考电工证 and 考叉车证, since workers name a certificate by its trade. search_text
# turns "…" into "..."; the name is 1 to GAP_CHARS Han characters.
GAP = "..."
GAP_CHARS = 4


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    with _lock:
        jieba.setLogLevel(60)
        tok = jieba.Tokenizer()
        tok.initialize()
        for line in (LEXICON / "domain_dict.txt").read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split() + ["", ""]
            if word:
                tok.add_word(search_text(word), int(freq) if freq.isdigit() else None)
        return tok


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    words = (LEXICON / "stopwords.txt").read_text(encoding="utf-8").split()
    return frozenset(words)


@lru_cache(maxsize=1)
def colloquial() -> dict:
    """The structured colloquial-to-policy vocabulary (lexicon/colloquial.yaml)."""
    return yaml.safe_load((LEXICON / "colloquial.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def synonyms() -> dict[str, list[str]]:
    """Colloquial phrase → canonical policy terms it should also search for: the
    synonym table (worker's words for the shipped texts' terms) and the colloquial
    vocabulary (everyday words for policy concepts any region's text uses)."""
    table = yaml.safe_load((LEXICON / "synonyms.yaml").read_text(encoding="utf-8"))
    pairs = [(canonical, phrase) for canonical, phrases in table.items() for phrase in phrases]
    pairs += [(e["term"], phrase) for e in colloquial()["entries"] for phrase in e["phrases"]]
    reverse: dict[str, list[str]] = {}
    for canonical, phrase in pairs:
        terms = reverse.setdefault(search_text(str(phrase)), [])
        if search_text(canonical) not in terms:
            terms.append(search_text(canonical))
    return reverse


def tokenize(text: str) -> list[str]:
    """Index tokens of normalised text (stopwords and punctuation removed)."""
    stop = stopwords()
    return [
        t for t in _tokenizer().cut_for_search(text, HMM=True)
        if t.strip() and t not in stop and _TOKEN.search(t)
    ]


@lru_cache(maxsize=1)
def _gapped() -> list[tuple[re.Pattern[str], str, list[str]]]:
    """The phrases with a name gap, as (pattern, first word, terms) (see ``GAP``)."""
    name = f"[\u4e00-\u9fff]{{1,{GAP_CHARS}}}"
    return [(re.compile(name.join(re.escape(part) for part in phrase.split(GAP))),
             phrase.split(GAP)[0], canonicals)
            for phrase, canonicals in synonyms().items() if GAP in phrase]


def _gap_phrase_in(text: str, pattern: re.Pattern[str], first: str) -> bool:
    """The phrase occurs and its first part is a word of the sentence there: 考…证 meets
    考电工证 (考/电工/证) but not 考虑要不要证明 (考虑/…)."""
    starts = {start for word, start, _ in _tokenizer().tokenize(text) if word == first}
    return any(m.start() in starts for m in pattern.finditer(text))


def expand(text: str) -> list[str]:
    """Canonical terms for every colloquial phrase found in ``text``."""
    found: list[str] = []
    for phrase, canonicals in synonyms().items():
        if GAP not in phrase and phrase in text:
            found.extend(c for c in canonicals if c not in text)
    for pattern, first, canonicals in _gapped():
        if pattern.search(text) and _gap_phrase_in(text, pattern, first):
            found.extend(c for c in canonicals if c not in text)
    return list(dict.fromkeys(found))


def query_terms(text: str, context: Iterable[str] = (), context_weight: float = 0.4
                ) -> dict[str, float]:
    """Weighted BM25 query: the question's own tokens weigh 1, synonyms 0.6,
    tokens carried over from earlier turns ``context_weight``."""
    weights: dict[str, float] = {}

    def add(tokens: Iterable[str], weight: float) -> None:
        for tok in tokens:
            weights[tok] = max(weights.get(tok, 0.0), weight)

    add(tokenize(text), 1.0)
    for term in expand(text):
        add(tokenize(term), EXPANSION_WEIGHT)
    for turn in context:
        add(tokenize(turn), context_weight)
        for term in expand(turn):
            add(tokenize(term), context_weight * EXPANSION_WEIGHT)
    return weights
