"""Choosing what to quote: the sentences of the retrieved passages that answer the question.

Answers are extractive. A passage is a chunk; its sentences are scored by how much of
the question's rarer vocabulary they carry (IDF-weighted overlap on the normalised
form), so the quote is the clause that answers, not the paragraph around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.reading.cues import clause_cue
from corpus.bm25 import BM25
from corpus.normalize import search_text
from corpus.search import SearchHit
from corpus.tokenize import expand, tokenize

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
MIN_SENTENCE = 8
# A signature block: nothing but the issuing body's name (「某自治区人力资源和社会保障厅」).
_SIGNATURE = re.compile(r"[^，,。；;：:\s]{2,40}(厅|局|部|委员会|人民政府|办公厅|办公室)")


@dataclass(frozen=True)
class Quote:
    hit: SearchHit
    text: str  # the document's own words
    score: float


def question_terms(question: str, context: list[str] | tuple[str, ...] = ()) -> set[str]:
    """Content terms of a question, its synonyms' terms, and the last turn's terms."""
    norm = search_text(question)
    terms = set(tokenize(norm))
    for canonical in expand(norm):
        terms.update(tokenize(canonical))
    for turn in context[-1:]:
        terms.update(tokenize(search_text(turn)))
    return terms


def sentences(text: str) -> list[str]:
    """The passage's sentences; a Markdown heading line ("# 河南省职业培训条例") is a title,
    never a clause that could answer."""
    found = (m.group(0).strip() for m in _SENTENCE.finditer(text))
    return [s for s in found if len(s) >= MIN_SENTENCE and not s.startswith("#")]


def is_heading(quote: str, title: str) -> bool:
    """A document title, a date line or a covering notice's issuing line (「…现印发给你们，
    请认真贯彻执行」) is not a clause."""
    q = search_text(quote).strip("《》“”\"' ")
    t = search_text(title)
    return q == t or (len(q) < 40 and (q in t or t in q)) or bool(
        re.fullmatch(r"[\d年月日\s]+", q) or _SIGNATURE.fullmatch(q)) \
        or clause_cue("transmittal").any(q)


def clause_sentences(hit: SearchHit) -> list[str]:
    """The passage's sentences that could answer: neither headings nor its title."""
    return [s for s in sentences(hit.text) if not is_heading(s, hit.title)]


def score_sentence(sentence: str, terms: set[str], bm25: BM25) -> float:
    norm = search_text(sentence)
    return sum(bm25.idf(t) for t in terms if t in norm)


def best_sentence(hit: SearchHit, terms: set[str], bm25: BM25) -> str | None:
    """The passage's sentence carrying most of the question's vocabulary (its first
    sentence when none does)."""
    found = clause_sentences(hit)
    if not found:
        return None
    return max(found, key=lambda s: score_sentence(s, terms, bm25))
