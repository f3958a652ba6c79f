"""Free text → occupation codes ("电焊" → 焊工 6-18-02-04, "开叉车的" → 起重装卸机械操作工).

Three sources: official names and the classification's aliases found in the text, the
team's synonym table (what people actually say: 电焊, 开叉车), then embeddings of the text
against each occupation's definition and main tasks. Where phrases of the text overlap,
the longest wins and, at one span, the classification wins: 「挡车工」 is an alias of
织布工, so the team's 车工 inside it does not make a weaver a lathe operator
(tests/test_occupation_vocabulary.py audits the table against the classification). Each
candidate says which source produced it, so a counselor can see why "带货主播" became
互联网营销师.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from corpus.normalize import search_text
from matcher.reference import Occupation, classification
from matcher.vectors import Encoder, VectorCache

SYNONYMS = Path(__file__).parent / "data" / "occupation_synonyms.yaml"
# Below this cosine the nearest definition is a guess, not a match (measured on the
# synonym table: true pairs score 0.84–0.93 with e5-small, unrelated ones 0.72–0.80).
EMBEDDING_FLOOR = 0.82
QUERY_MEMORY = 4096  # query vectors kept (1.5 kB each)
_GENERIC_ALIASES = frozenset(("经理", "主管", "助理", "专员", "工程师", "技术员", "操作工", "员工"))


@dataclass(frozen=True)
class Resolved:
    code: str
    name: str
    score: float  # 1.0 for a table or name match, the cosine for an embedding match
    via: str  # "synonym" | "name" | "alias" | "embedding"

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "score": round(self.score, 3),
                "via": self.via}


@lru_cache(maxsize=1)
def synonym_table() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8"))["synonyms"]
    return {search_text(k): tuple(v) for k, v in data.items()}


# Where a phrase comes from, most trusted first: when two phrases of the text overlap, the
# longer wins, and at the same span the classification wins over the team's table.
_NAME, _ALIAS, _SYNONYM = 0, 1, 2


@dataclass(frozen=True)
class _Phrase:
    source: int
    found: tuple[Resolved, ...]


@lru_cache(maxsize=1)
def _phrases() -> dict[str, tuple[_Phrase, ...]]:
    """Every phrase the resolver looks for → what it names, per source.

    Official names count from 2 characters; aliases from 3 (the alias column is a job-site
    compilation, and its 2-character entries — 客服, 木工 — are too loose to name one
    occupation on their own); synonyms as the team wrote them.
    """
    table = classification()
    out: dict[str, list[_Phrase]] = {}
    for occ in table.occupations:
        if len(occ.name) >= 2:
            hit = Resolved(occ.code, occ.name, 1.0, "name")
            out.setdefault(search_text(occ.name), []).append(_Phrase(_NAME, (hit,)))
    for alias, codes in _alias_index().items():
        if len(alias) >= 3:
            found = tuple(Resolved(c, table.by_code[c].name, 0.9, "alias") for c in codes)
            out.setdefault(alias, []).append(_Phrase(_ALIAS, found))
    for phrase, names in synonym_table().items():
        occs = [table.find(n) for n in names]
        found = tuple(Resolved(o.code, o.name, 1.0, "synonym") for o in occs if o)
        out.setdefault(phrase, []).append(_Phrase(_SYNONYM, found))
    return {k: tuple(sorted(v, key=lambda p: p.source)) for k, v in out.items()}


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for occ in classification().occupations:
        for alias in occ.aliases:
            if len(alias) >= 2 and alias not in _GENERIC_ALIASES:
                index.setdefault(search_text(alias), []).append(occ.code)
    return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}


@lru_cache(maxsize=1)
def _longest_phrase() -> int:
    return max(map(len, _phrases()))


def _named_in(text: str) -> list[Resolved]:
    """The occupations the phrases of ``text`` name, in order of the text.

    Every substring is looked up (texts are short; phrases are at most ~30 characters), then
    the longest phrases are kept, and a phrase inside or across a kept one is dropped: in
    「挡车工」 the alias 挡车工 (织布工) is kept and the name and synonym 车工 inside it are not.
    At one span, names and aliases both count, and a synonym only when the classification
    has nothing there.
    """
    table = _phrases()
    spans = [(i, j) for i in range(len(text))
             for j in range(i + 2, min(len(text), i + _longest_phrase()) + 1)
             if text[i:j] in table]
    spans.sort(key=lambda s: (s[0] - s[1], s[0]))
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if all(end <= a or start >= b for a, b in kept):
            kept.append((start, end))
    out: list[Resolved] = []
    for start, end in sorted(kept):
        phrases = table[text[start:end]]
        official = [p for p in phrases if p.source != _SYNONYM]
        for phrase in official or phrases:
            out += phrase.found
    return out


class OccupationResolver:
    def __init__(self, encoder: Encoder, cache_folder: Path) -> None:
        self.encoder = encoder
        self._cache = VectorCache(cache_folder, "occupations", encoder)
        self._matrix: np.ndarray | None = None
        self._queries: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def occupations(self) -> tuple[Occupation, ...]:
        return classification().occupations

    def matrix(self) -> np.ndarray:
        """Definition-and-tasks vectors of every occupation, embedded once per model."""
        if self._matrix is None:
            self._matrix = self._cache.vectors([embedding_text(o) for o in self.occupations])
        return self._matrix

    def resolve(self, text: str, k: int = 3) -> list[Resolved]:
        """The occupations ``text`` names, best first; empty when nothing is close."""
        exact = self.named(text)
        if exact or not (text or "").strip():
            return exact[:k]
        return self.nearest(text, k)

    @staticmethod
    def named(text: str) -> list[Resolved]:
        """Only occupations the text names outright (synonym table, names, aliases): no
        embedding, so it costs microseconds."""
        norm = search_text(text or "")
        return _dedupe(_named_in(norm)) if norm.strip() else []

    def query_vector(self, text: str) -> np.ndarray:
        """The query embedding of ``text``, remembered: a counselor re-ranks the same
        profile many times (weights, why-not, and the guide's what-ifs)."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self.encoder.encode_queries([text])[0]
            with self._lock:
                if len(self._queries) >= QUERY_MEMORY:
                    self._queries.pop(next(iter(self._queries)))
                self._queries[text] = vector
        return vector

    def nearest(self, text: str, k: int = 3, floor: float = EMBEDDING_FLOOR) -> list[Resolved]:
        query = self.query_vector(text)
        scores = self.matrix() @ query
        best = np.argsort(-scores)[:k]
        return [Resolved(self.occupations[i].code, self.occupations[i].name, float(scores[i]),
                         "embedding") for i in best if scores[i] >= floor]


def embedding_text(occ: Occupation) -> str:
    """Name, definition and the start of the main tasks: what the occupation does, short
    enough (≈ 120 characters) that all 1,634 embed in well under a minute."""
    return f"{occ.name}：{occ.definition}{occ.tasks}"[:120]


def _dedupe(items: list[Resolved]) -> list[Resolved]:
    seen: dict[str, Resolved] = {}
    for item in items:
        if item.code not in seen or item.score > seen[item.code].score:
            seen[item.code] = item
    order = {r.code: i for i, r in enumerate(items)}
    return sorted(seen.values(), key=lambda r: (-r.score, order[r.code]))
