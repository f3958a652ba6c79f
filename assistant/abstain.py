"""Deciding when the policies on file do not answer a question.

Two signals, both cheap and explainable:

* **coverage** — the IDF-weighted share of the question's content terms that the top
  passages contain (a synonym of a term counts). A question about 工伤认定 or
  助学贷款代偿 leaves its rarest terms uncovered.
* **missing amount** — a question asking for a sum of money (多少钱, 能领多少, 补贴标准 …)
  whose passages state no amount of money cannot be answered by quoting them.
* **unseen concepts** — two or more nouns (or places) of the question that no document
  on file uses at all and no synonym covers (分值 and 权重; 上海 and 能领): the files
  are about something else.

The coverage threshold is calibrated on the dev set (see ``bench/RESULTS.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba.posseg as pseg

from corpus.bm25 import BM25
from corpus.normalize import search_text
from corpus.regions import regions, short_name
from corpus.search import SearchHit
from corpus.tokenize import expand, tokenize

COVERAGE_THRESHOLD = 0.5
UNSEEN_LIMIT = 2
_NOUN_TAGS = ("n", "vn", "s", "f")
_FILLERS = Path(__file__).parent / "data" / "question_fillers.txt"
_ASKS_MONEY = re.compile(
    r"多少钱|能领多少|领多少|拿多少|给多少|补多少|补贴多少|多少补贴|补助多少|多少补助|"
    r"多少元|几块钱|收费|考试费|费用是多少|补贴标准是多少|标准是多少钱")
_MONEY = re.compile(r"[\d.]+\s*(?:元|万元|亿元)|[一二三四五六七八九十百千万两]+元")


@dataclass(frozen=True)
class Answerability:
    coverage: float
    uncovered: list[str]
    asks_money: bool
    states_money: bool
    unseen: list[str]

    @property
    def answerable(self) -> bool:
        if self.asks_money and not self.states_money:
            return False
        if len(self.unseen) >= UNSEEN_LIMIT:
            return False
        return self.coverage >= COVERAGE_THRESHOLD

    def to_dict(self) -> dict:
        return {"coverage": round(self.coverage, 3), "uncovered": self.uncovered,
                "asks_money": self.asks_money, "states_money": self.states_money,
                "unseen": self.unseen}


@lru_cache(maxsize=1)
def fillers() -> frozenset[str]:
    """Words that carry the asking, not the topic (孩子, 怎么办, 到时候 …)."""
    return frozenset(_FILLERS.read_text(encoding="utf-8").split())


def content_terms(question: str) -> list[str]:
    skip = fillers()
    return [t for t in dict.fromkeys(tokenize(search_text(question))) if t not in skip]


def assess(question: str, hits: list[SearchHit], bm25: BM25, top: int = 3) -> Answerability:
    norm_q = search_text(question)
    passages = search_text("\n".join(f"{h.title} {h.section} {h.text}" for h in hits[:top]))
    weights: dict[str, float] = {}
    covered: set[str] = set()
    for term in content_terms(question):
        weights[term] = bm25.idf(term)
        if _covered(term, passages):
            covered.add(term)
    total = sum(weights.values())
    coverage = sum(weights[t] for t in covered) / total if total else 0.0
    uncovered = sorted((t for t in weights if t not in covered), key=lambda t: -weights[t])
    return Answerability(coverage, uncovered, bool(_ASKS_MONEY.search(norm_q)),
                         bool(_MONEY.search(passages)), unseen_concepts(norm_q, passages, bm25))


def unseen_concepts(norm_question: str, passages: str, bm25: BM25) -> list[str]:
    """Nouns and places of the question that the corpus never uses, nor its synonyms."""
    skip = fillers()
    return [w for w, tag in pseg.cut(norm_question)
            if len(w) >= 2 and tag.startswith(_NOUN_TAGS) and w not in skip
            and w not in bm25.vocab and not _covered(w, passages)]


def _covered(term: str, passages: str) -> bool:
    """The term, a synonym, or — for a place — a region above it ("九江" is covered by
    passages about 江西: its policies apply there)."""
    if term in passages or any(c in passages for c in expand(term)):
        return True
    region = regions().find(term)
    if region is None:
        return False
    return any(short_name(r.name) in passages for r in regions().lineage(region)[1:]
               if r.level != "national")
