"""The answering clause: the sentences of the retrieved passages that carry the question's
rarer words, and what they grant, forbid or condition."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.evidence import Quote, clause_sentences, score_sentence
from assistant.reading.cues import clause_cue
from assistant.reading.figures import ANSWERED_BY, asked, held
from assistant.reading.thresholds import within
from corpus.bm25 import BM25
from corpus.normalize import search_text
from corpus.search import SearchHit

CLAUSE_CUES = ("prohibition", "condition", "grant", "duty", "sequence", "threshold", "only",
               "family")
# A sentence holding the asked kind of figure answers a 多少/几/哪天 question when it carries
# at least this share of the best sentence's question vocabulary.
FIGURE_SHARE = 0.5


@dataclass(frozen=True)
class ClauseReading:
    hit: SearchHit
    sentence: str  # the document's own words
    quotes: list[Quote]
    cues: dict[str, list[str]]  # cue list → words found in the answering sentence
    passage_cues: dict[str, list[str]]  # the same over the whole passage


def figures_wanted(question: str, form: str) -> set[str]:
    """The figure kinds (:func:`assistant.reading.figures.held`) that answer a 多少/几/哪天
    question; none for other forms (a yes/no ask that mentions 补贴标准 wants its clause)."""
    if form not in ("number", "date"):
        return set()
    kinds = {unit for name in asked(question) for unit in ANSWERED_BY[name]}
    if not kinds and form == "date":
        kinds = {"date"}
    if not kinds and form == "number":
        kinds = {unit for units in ANSWERED_BY.values() for unit in units} - {
            "date", "in_force", "own_start"}
    return kinds


def _best(found: list[str], terms: set[str], bm25: BM25, wanted: set[str], said: str = ""
          ) -> tuple[float, str] | None:
    """The sentence carrying most of the question's vocabulary — or one nearly as relevant
    that fits better: for a question after a figure, one stating a figure of the asked kind
    (「比例不得低于…1.5%」, not the 「按照一定比例」 before it); for an asker who stated a
    figure, the step of a graduated schedule that figure falls in (交了六年 → 「满5年不足10年
    的…18个月」, not the 「满1年不足5年」 step before it)."""
    # equal scores go to the earlier sentence: a schedule's first step, a rule before its
    # exceptions
    scored = [(score_sentence(s, terms, bm25), -i, s) for i, s in enumerate(found)]
    if not scored:
        return None
    best = max(scored)
    close = [x for x in scored if x[0] >= FIGURE_SHARE * best[0]]
    if said:
        fitting = [x for x in close if within(said, x[2])]
        if fitting:
            close = fitting
            best = max(fitting)
    if wanted:
        # a document states its own force once, in few of the asker's words (「本条例自…起
        # 施行」): asked whether it is in force, that sentence answers wherever it ranks
        pool = scored if "in_force" in wanted else close
        kinds = [(x, held(x[2])) for x in pool]
        figured = [x for x, k in kinds if k & wanted]
        # asked when it began, that sentence, not another date beside it (「…《旧条例》同时
        # 废止」); asked whether the old one is still in force, the repeal answers
        own = [x for x, k in kinds if "own_start" in k & wanted]
        if own or figured:
            best = max(own or figured)
    return best[0], best[2]


def read_clause(hits: list[SearchHit], terms: set[str], bm25: BM25,
                wanted: set[str] | frozenset[str] = frozenset(), said: str = ""
                ) -> ClauseReading | None:
    """The reranker has chosen the answering passage (``hits[0]``); its best sentence is the
    clause, and the next passages' best sentences follow it. ``wanted``: the figure kinds
    that answer the question (:func:`figures_wanted`); ``said``: everything the asker said,
    for the figures they stated."""
    # a passage that holds nothing but its document's title cannot answer
    readable = [(h, found) for h in hits if (found := clause_sentences(h))]
    if readable:
        hits = [h for h, _ in readable]
    if not hits:
        return None
    quotes = []
    for hit, found in (readable or [(h, []) for h in hits])[:3]:
        best = _best(found, terms, bm25, set(wanted), said)
        if best:
            quotes.append(Quote(hit, best[1], best[0]))
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
