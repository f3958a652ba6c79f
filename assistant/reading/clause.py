"""The answering clause: the sentences of the retrieved passages that carry the question's
rarer words, and what they grant, forbid or condition."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.evidence import Quote, clause_sentences, score_sentence
from assistant.reading.cues import clause_cue
from corpus.bm25 import BM25
from corpus.normalize import search_text
from corpus.search import SearchHit

CLAUSE_CUES = ("prohibition", "condition", "grant", "duty", "sequence", "threshold", "only",
               "family")


@dataclass(frozen=True)
class ClauseReading:
    hit: SearchHit
    sentence: str  # the document's own words
    quotes: list[Quote]
    cues: dict[str, list[str]]  # cue list → words found in the answering sentence
    passage_cues: dict[str, list[str]]  # the same over the whole passage


def read_clause(hits: list[SearchHit], terms: set[str], bm25: BM25) -> ClauseReading | None:
    """The reranker has chosen the answering passage (``hits[0]``); its best sentence is the
    clause, and the next passages' best sentences follow it."""
    # a passage that holds nothing but its document's title cannot answer
    readable = [(h, found) for h in hits if (found := clause_sentences(h))]
    if readable:
        hits = [h for h, _ in readable]
    if not hits:
        return None
    quotes = []
    for hit, found in (readable or [(h, []) for h in hits])[:3]:
        scored = [(score_sentence(s, terms, bm25), s) for s in found]
        if scored:
            score, text = max(scored)
            quotes.append(Quote(hit, text, score))
    if not quotes or quotes[0].hit is not hits[0]:
        quotes.insert(0, Quote(hits[0], hits[0].text, 0.0))
    lead = quotes[0]
    sentence = search_text(lead.text)
    passage = search_text(lead.hit.text)
    return ClauseReading(
        hit=lead.hit, sentence=lead.text, quotes=quotes,
        cues={name: clause_cue(name).find(sentence) for name in CLAUSE_CUES},
        passage_cues={name: clause_cue(name).find(passage) for name in CLAUSE_CUES},
    )
