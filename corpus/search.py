"""Hybrid search: BM25 and dense rankings fused, with region, type and date filters.

``Searcher`` follows the index's ``CURRENT`` pointer: when an ingest publishes a new
build, the next query loads it, and until then queries keep using the old one.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import faiss
import numpy as np

from corpus.clause_shape import clause_shapes, question_forms, with_slots
from corpus.errors import InvalidInput
from corpus.index import Embedding, IndexStore, LoadedIndex, load_index
from corpus.normalize import search_text
from corpus.regions import regions
from corpus.tokenize import expand, query_terms, tokenize

Mode = Literal["hybrid", "bm25", "dense"]
Fusion = Literal["rrf", "blend", "adaptive"]
MAX_QUERY_CHARS = 2000
MAX_K = 100
RRF_K = 60
# The clause-shape rerank bonus (corpus.clause_shape), as a share of the best fused
# candidate's score. Tuned on ext_a/ext_b and the shipped dev set (bench/RESULTS.md,
# session 10): 0.05–0.2 all helped there, 0.15 was best on all three; 0.2 began to cost
# the shipped set a hit.
SHAPE_BONUS = 0.15


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    # An unofficial text (reprint, news report) says so in every citation: source_note.
    source_kind: str = "unknown"
    source_note: str | None = None

    def to_dict(self) -> dict:
        return {"chunk_id": self.chunk_id, "doc_id": self.doc_id, "title": self.title,
                "section": self.section, "text": self.text, "score": round(self.score, 6),
                "source_kind": self.source_kind, "source_note": self.source_note}


def validate_query(query: object) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("请输入要查询的问题。", code="empty_query")
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"问题太长了（{len(query)} 字），请控制在 {MAX_QUERY_CHARS} 字以内。",
                           code="query_too_long", detail={"length": len(query)})
    return query


def validate_k(k: object) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"返回条数 k 须为 1 到 {MAX_K} 之间的整数。", code="bad_k",
                           detail={"k": k})
    return k


class _Filters:
    """Per-record arrays for fast masks, computed once per loaded build."""

    def __init__(self, index: LoadedIndex) -> None:
        recs = index.records
        self.region = np.array([r.region for r in recs], dtype=object)
        self.doc_type = np.array([r.doc_type or "" for r in recs], dtype=object)
        self.starts = np.array([r.effective_from or r.published or "" for r in recs], dtype=object)
        self.ends = np.array([r.effective_to or "" for r in recs], dtype=object)
        self._records = recs
        self._shapes: dict[int, frozenset[str]] = {}

    def shapes(self, i: int) -> frozenset[str]:
        """A chunk's clause shapes, computed on first need (only candidates are asked)."""
        if i not in self._shapes:
            self._shapes[i] = clause_shapes(self._records[i].index_text())
        return self._shapes[i]

    def document(self, i: int) -> str:
        return self._records[i].doc_id

    def mask(self, region: str | None, doc_type: str | None, as_of: dt.date | None
             ) -> np.ndarray | None:
        mask = np.ones(len(self.region), dtype=bool)
        if region:
            mask &= np.isin(self.region, list(regions().applicable_names(region)))
        if doc_type:
            mask &= self.doc_type == doc_type
        if as_of:
            day = as_of.isoformat()
            mask &= (self.starts == "") | (self.starts <= day)
            mask &= (self.ends == "") | (self.ends >= day)
        return None if mask.all() else mask


class Searcher:
    def __init__(self, store: IndexStore, embedder: Embedding, fusion: Fusion = "rrf",
                 blend_alpha: float = 0.5, shape_bonus: float = SHAPE_BONUS,
                 dense_expansion: bool = False, adaptive_floor: float = 0.5) -> None:
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self.blend_alpha = blend_alpha
        # Added to a hybrid candidate's normalised score when its clause shape matches the
        # question's form (corpus.clause_shape); 0 turns the rerank off.
        self.shape_bonus = shape_bonus
        # Append the policy terms the lexicon maps the question to before encoding it.
        self.dense_expansion = dense_expansion
        # "adaptive" fusion: the lexical weight shrinks towards alpha * floor as fewer of
        # the question's own words (idf-weighted) occur in this corpus at all.
        self.adaptive_floor = adaptive_floor
        self._lock = threading.Lock()
        self._index: LoadedIndex | None = None
        self._filters: _Filters | None = None

    def index(self) -> tuple[LoadedIndex, _Filters]:
        current = self.store.current()
        with self._lock:
            if self._index is None or current is None or self._index.folder != current:
                self._index = load_index(self.store, self.embedder.model_id)
                self._filters = _Filters(self._index)
            assert self._filters is not None
            return self._index, self._filters

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        region: str | None = None,
        doc_type: str | None = None,
        as_of: dt.date | None = None,
        context: list[str] | tuple[str, ...] = (),
        mode: Mode = "hybrid",
        fusion: Fusion | None = None,
    ) -> list[SearchHit]:
        query = validate_query(query)
        k = validate_k(k)
        if region:
            regions().resolve(region)
        index, filters = self.index()
        if not index.records:
            return []
        mask = filters.mask(region, doc_type, as_of)
        depth = max(50, k * 5)
        context = [search_text(c) for c in context if c and c.strip()][-2:]
        norm_query = search_text(query)

        lexical = self._bm25(index, norm_query, context, mask, depth) if mode != "dense" else {}
        dense = self._dense(index, norm_query, context, mask, depth) if mode != "bm25" else {}
        if mode == "bm25":
            fused = lexical
        elif mode == "dense":
            fused = dense
        elif (fusion or self.fusion) == "rrf":
            fused = _rrf(lexical, dense)
        elif (fusion or self.fusion) == "adaptive":
            coverage = _vocabulary_coverage(index, norm_query)
            alpha = self.blend_alpha * (self.adaptive_floor + (1 - self.adaptive_floor) * coverage)
            fused = _blend(lexical, dense, alpha)
        else:
            fused = _blend(lexical, dense, self.blend_alpha)
        by_shape = mode == "hybrid" and bool(self.shape_bonus)
        forms = question_forms(norm_query) if by_shape else frozenset()
        if by_shape and fused:
            fused = _shape_rerank(fused, forms, filters.shapes, self.shape_bonus)
        order = [i for i, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]
        if by_shape:
            order = with_slots(order, forms, filters.shapes, filters.document)
        return [self._hit(index, i, fused[i]) for i in order[:k]]

    def _bm25(self, index: LoadedIndex, query: str, context: list[str],
              mask: np.ndarray | None, depth: int) -> dict[int, float]:
        scores = index.bm25.scores(query_terms(query, context))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = _top(scores, depth)
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def _dense(self, index: LoadedIndex, query: str, context: list[str],
               mask: np.ndarray | None, depth: int) -> dict[int, float]:
        text = " ".join([*context[-1:], query])
        if self.dense_expansion:
            text = " ".join([text, *dict.fromkeys(expand(query))])
        vec = self.embedder.encode_queries([text]).astype(np.float32)
        params = None
        if mask is not None:
            allowed = np.flatnonzero(mask).astype(np.int64)
            if not len(allowed):
                return {}
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = index.faiss.search(vec, min(depth, index.faiss.ntotal), params=params)
        return {int(i): float(s) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0}

    @staticmethod
    def _hit(index: LoadedIndex, i: int, score: float) -> SearchHit:
        rec = index.records[i]
        return SearchHit(rec.chunk_id, rec.doc_id, rec.title, rec.section, rec.text, score,
                         rec.source_kind, rec.source_note)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    if len(scores) <= n:
        return np.argsort(-scores)
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part])]


def _ranks(scores: dict[int, float]) -> dict[int, int]:
    order = sorted(scores, key=lambda i: -scores[i])
    return {i: r for r, i in enumerate(order, start=1)}


def _rrf(*rankings: dict[int, float]) -> dict[int, float]:
    """Reciprocal rank fusion: robust to the two scores' different scales."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for i, rank in _ranks(ranking).items():
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def _blend(lexical: dict[int, float], dense: dict[int, float], alpha: float) -> dict[int, float]:
    """Score blend: BM25 scaled by the query's best score, cosine scaled to the
    candidates' range; ``alpha`` weighs the lexical side."""
    top_lex = max(lexical.values(), default=0.0)
    lo, hi = min(dense.values(), default=0.0), max(dense.values(), default=0.0)
    lex = {i: s / top_lex for i, s in lexical.items()} if top_lex > 0 else {}
    den = {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in dense.items()}
    return {i: alpha * lex.get(i, 0.0) + (1 - alpha) * den.get(i, 0.0)
            for i in set(lexical) | set(dense)}


def _vocabulary_coverage(index: LoadedIndex, query: str) -> float:
    """Share (idf-weighted) of the question's own words that this corpus uses at all.

    When a region's texts word things differently, many of the question's words never
    occur and BM25 ranks on the few that do; the dense side should then count for more."""
    tokens = set(tokenize(query))
    if not tokens:
        return 1.0
    weights = {t: index.bm25.idf(t) for t in tokens}
    total = sum(weights.values())
    seen = sum(w for t, w in weights.items() if t in index.bm25.vocab)
    return seen / total if total > 0 else 1.0


def _shape_rerank(fused: dict[int, float], forms: frozenset[str],
                  shapes: Callable[[int], frozenset[str]], bonus: float) -> dict[int, float]:
    """A clause whose shape (amount, date, list of persons, procedure, penalty,
    prohibition) answers the question's form ranks ``bonus`` (a share of the best
    candidate's score) above one that does not. Implemented as a deduction from the
    non-matching clauses, so a matching hit keeps its fused score exactly: the assistant
    reads the top hit's score as a calibrated feature (assistant/reading/features.py).
    An open question (no form) is left alone."""
    if not forms:
        return fused
    cut = bonus * max(max(fused.values()), 0.0)
    return {i: s if forms & shapes(i) else max(s - cut, 0.0) for i, s in fused.items()}
