"""Which retrieved passage answers: a second look at the top passages.

Retrieval ranks passages for recall; the answer needs the one passage that answers. The
reranker reads each of the top passages against the question — how much of the
question's rarer vocabulary its best sentence carries, whether its title is what the
question names, whether its place is the one asked about, whether it holds a figure when
a figure is asked for — and a small learned model (``models/rerank.json``, trained on the
team's questions: a passage is right when it holds the item's evidence) orders them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.evidence import score_sentence, sentences
from assistant.reading.model import load
from corpus.bm25 import BM25
from corpus.index import ChunkRecord
from corpus.normalize import search_text
from corpus.regions import short_name
from corpus.search import SearchHit

DEPTH = 8


@dataclass(frozen=True)
class Candidate:
    hit: SearchHit
    features: dict[str, float]


def _share(terms: set[str], text: str, bm25: BM25) -> float:
    total = sum(bm25.idf(t) for t in terms) or 1.0
    return sum(bm25.idf(t) for t in terms if t in text) / total


def candidates(hits: list[SearchHit], terms: set[str], bm25: BM25, question: str,
               records: dict[str, ChunkRecord], wants_figure: bool,
               cosines: list[float] | None = None,
               agreements: list[dict[str, float]] | None = None) -> list[Candidate]:
    """``question`` in search form; ``records`` by chunk id, for each passage's place;
    ``cosines``: each passage's dense similarity to the question, which the fused
    retrieval score blends away; ``agreements``: the same similarity dimension by
    dimension (:func:`assistant.reading.meaning.agreement`)."""
    top_score = hits[0].score if hits and hits[0].score > 0 else 1.0
    total = sum(bm25.idf(t) for t in terms) or 1.0
    scored = [max(((score_sentence(s, terms, bm25), s) for s in sentences(h.text)),
                  default=(0.0, h.text)) for h in hits[:DEPTH]]
    cosines = cosines or [0.0] * len(scored)
    agreements = agreements or [{} for _ in scored]
    out = []
    for rank, hit in enumerate(hits[:DEPTH]):
        text = search_text(hit.text)
        best = scored[rank][0]
        record = records.get(hit.chunk_id)
        region = record.region if record else "全国"
        named = region != "全国" and short_name(region) in question
        out.append(Candidate(hit, {
            "inverse_rank": 1.0 / (1 + rank),
            "relative_score": hit.score / top_score,
            "passage_share": _share(terms, text, bm25),
            "sentence_share": best / total,
            "title_share": _share(terms, search_text(hit.title + hit.section), bm25),
            "region_named": float(named),
            "regional_not_named": float(region != "全国" and not named),
            "figure_asked_and_held": float(wants_figure and any(c.isdigit() for c in text)),
            "log_length": math.log(1 + len(text)) / 8,
            "dense_cosine": cosines[rank],
            "dense_cosine_gap": cosines[rank] - max(cosines[:DEPTH]),
            **agreements[rank],
        }))
    return out


def answer_probability(candidate: Candidate) -> float:
    """How likely the passage holds the answer (the reranker's own reading); 0.5 with no
    model. Low for every passage when the files do not answer the question."""
    model = load("rerank")
    return model.probabilities(candidate.features)["answers"] if model else 0.5


def rerank(cands: list[Candidate]) -> list[SearchHit]:
    if load("rerank") is None or not cands:
        return [c.hit for c in cands]
    scored = [(answer_probability(c), -i, c.hit) for i, c in enumerate(cands)]
    return [hit for *_, hit in sorted(scored, key=lambda s: (s[0], s[1]), reverse=True)]
