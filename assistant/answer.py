"""One question in, one grounded answer out.

The flow reads top to bottom in :meth:`Assistant.answer`: check the input, understand the
question (facts, retrieval, the answering clause, where it applies), decide whether the
files answer it at all, then give a verdict only where it follows from the clause and what
the asker stated, and compose a short plain reply. Quotes live in ``citations``; the reply
says what the answer is, the conditions, and what to do next.

Verdicts and abstention are learned from the team's own questions
(``assistant/data/team_qa``) over general readings of question and clause — negation,
relatives, thresholds, places, prohibitions, conditions — not chosen by triggers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant import replies
from assistant.abstain import Answerability, assess
from assistant.evidence import best_sentence, is_heading, question_terms, sentences
from assistant.facts import apply_correction, region_mentions, resolve_mentions
from assistant.intent import Intent, classify
from assistant.reading.clause import ClauseReading, figures_wanted, read_clause
from assistant.reading.entities import conflict
from assistant.reading.features import answerability_features, verdict_features
from assistant.reading.meaning import SentenceVectors, agreement
from assistant.reading.model import LinearModel, load
from assistant.reading.question import (
    QuestionReading,
    asks_something,
    leans_on_earlier,
    read_question,
    stated_in,
)
from assistant.reading.rerank import DEPTH, Candidate, answer_probability, candidates, rerank
from assistant.reading.scope import Scope, places_named, read_scope
from assistant.reading.thresholds import Comparison, compare
from assistant.reading.verdict import verdict_of
from assistant.streaming import Opening, in_script
from corpus.bm25 import BM25
from corpus.clause_shape import clause_shapes
from corpus.errors import InvalidInput
from corpus.index import ChunkRecord
from corpus.normalize import detect_script, eval_normalize, search_text, to_script
from corpus.regions import Region, regions
from corpus.search import Searcher, SearchHit
from corpus.tokenize import synonyms, tokenize

MAX_QUESTION_CHARS = 2000
# A message this short after a yes/no question asks the same kind of thing ("那我老婆呢"),
# unless it asks something of its own (去哪办, 多少钱, 什么时候).
FOLLOW_UP_CHARS = 16
# What the asker said of themselves in earlier turns still holds (facts merge, corrections win).
CONTEXT_TURNS = 8
MAX_CITATIONS = 3
# the scope statement a reply's 「只适用于…」 rests on (corpus/lexicon/clause_shapes.yaml)
SCOPE_SHAPE = "applicability"
# a scope article is drafted in a document's general provisions, within its first articles
SCOPE_ARTICLES = 6
_PLACE_KEYS = ("province", "city", "county")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass
class Citation:
    chunk_id: str | None
    doc_id: str
    title: str
    section: str
    quote: str
    section_short: str = ""  # the section's last two levels, for a citation card
    note: str = ""  # e.g. that the document is an unofficial reprint

    def __post_init__(self) -> None:
        self.section_short = self.section_short or _short_section(self.section)


@dataclass
class Answer:
    answer: str
    verdict: str | None = None
    abstained: bool = False
    citations: list[Citation] = field(default_factory=list)
    rule_trace: list[dict[str, Any]] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    follow_up: str | None = None
    script: str = "zh-Hans"
    intent: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    expired: bool = False
    quick_replies: list[str] = field(default_factory=list)  # choices for ``follow_up``

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Understanding:
    """Everything read from one question, before anything is decided."""

    text: str
    context: list[str]
    facts: dict[str, Any]
    hits: list[SearchHit]
    question: QuestionReading
    clause: ClauseReading | None
    record: ChunkRecord | None
    scope: Scope
    comparison: Comparison
    check: Answerability
    answerable_features: dict[str, float]
    verdict_features: dict[str, float]
    candidates: list[Candidate]
    intent: Intent
    conflicts: list[tuple[str, str]]
    unknown_term: str = ""  # the term asked about, when the files never use it

    @property
    def wording(self) -> str:
        """What the verdict model reads word by word: the question after the turn before it,
        where a follow-up's facts stand (「失业保险一共交了8个月」…「那我能领吗」)."""
        return search_text(" ".join([*self.context[-1:], self.text]))


def clean_question(question: object) -> str:
    """Plain text of what the user typed: markup removed, length bounded."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput("请输入您的问题。", code="empty_question")
    text = html.unescape(_TAG.sub(" ", question)).strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"问题太长了（{len(text)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内，"
                           "只写最想问的一件事。", code="question_too_long",
                           detail={"length": len(text)})
    return text


def merge_facts(profile: dict[str, Any] | None, turns: list[str]) -> dict[str, Any]:
    """Facts from the profile, then each turn in order: lists merge (a later 「我现在没工作」
    keeps an earlier 残疾人), a named place replaces the whole place, corrections win."""
    facts = dict(profile or {})
    for turn in turns:
        facts = apply_correction(facts, turn)
    return facts


def _residence(facts: dict[str, Any]) -> Region | None:
    for key in ("county", "city", "province"):
        value = facts.get(key)
        region = regions().find(value) if isinstance(value, str) else None
        if region is not None:
            return region
    return None


def _related(a: Region, b: Region) -> bool:
    table = regions()
    return a in table.lineage(b) or b in table.lineage(a)


def retrieval_region(facts: dict[str, Any], question: str) -> str | None:
    """Search only the policies that apply where the asker is — unless the question names
    a place elsewhere ("江西的规划我能用吗" from 合肥), which must then be found to be
    answered with its scope."""
    home = _residence(facts)
    if home is None:
        return None
    if any(not _related(r, home) for r in places_named(question)):
        return None
    return home.name


def _short_section(section: str) -> str:
    parts = [p.strip() for p in re.split(r"\s*[›>/]\s*", section or "") if p.strip()]
    return " › ".join(parts[-2:])


def topic_turns(text: str, context: list[str]) -> list[str]:
    """The earlier turns this message's topic comes from: what the asker said of themselves
    always, and earlier questions only when this message continues them (short, or pointing
    back: 那…, 这种…, 她也…). A new question after another topic is read alone:
    in a widget session the turn before it once pulled 郑州's lump-sum article into
    「我今年52岁，在郑州领失业金快到期了，还没找到工作怎么办」."""
    if len(search_text(text)) <= FOLLOW_UP_CHARS or leans_on_earlier(text):
        return context
    return [turn for turn in context if not asks_something(turn)]


def uses_term(term: str, hits: list[SearchHit], bm25: BM25) -> bool:
    """Whether the files use the term a question asks the meaning of: a passage found holds
    it, its synonym, or all of its words (「申请条件」 in 「申请…的条件」), or the files use each
    of its words somewhere (they may say it in other words). Files that never use a term
    cannot say what it means: 「以工代训是什么意思」 was once answered with the 职业教育法's
    definition of 职业教育."""
    tokens = tokenize(term)
    if tokens and all(t in bm25.vocab for t in tokens if len(t) > 1):
        return True
    # a synonym of the whole term only: 零工 → 灵活就业 says nothing of 零工驿站
    # letters and digits only: 「“1+X”证书」 uses 1+X证书
    wanted = [eval_normalize(w) for w in (term, *synonyms().get(term, []))]
    for hit in hits:
        text = search_text(f"{hit.title} {hit.section} {hit.text}")
        bare = eval_normalize(text)
        if any(w and w in bare for w in wanted) or (tokens and all(t in text for t in tokens)):
            return True
    return False


def _as_typed(text: str, term: str) -> str:
    """``term`` (search form: Simplified, lower case) as the asker typed it (1+X证书)."""
    norm = search_text(text)
    at = norm.find(term)
    return text[at:at + len(term)] if at >= 0 and len(norm) == len(text) else term


def _untrained_document(model: LinearModel, seen: Understanding) -> bool:
    """The answering clause is from a document nobody wrote training questions for (another
    region's upload): the model's thresholds for it were chosen on the region corpora."""
    documents = model.meta.get("documents")
    return bool(documents and seen.clause and seen.clause.hit.doc_id not in documents)


def _no_min_for(model: LinearModel, seen: Understanding) -> float:
    no_min = float(model.meta.get("no_min", 0.0))
    if _untrained_document(model, seen):
        return float(model.meta.get("unseen_no_min", no_min))
    return no_min


class Assistant:
    def __init__(self, searcher: Searcher, rules: Any = None) -> None:
        self.searcher = searcher
        self.rules = rules  # the rule book, for the matcher and the eligibility panel
        self._records: dict[str, ChunkRecord] = {}
        self._doc_regions: set[str] = set()
        self._rows: dict[str, int] = {}
        self._records_build: object = None
        self._scope_statements: dict[str, Citation | None] = {}
        self._sentence_vectors = SentenceVectors(searcher.embedder)

    # -- the flow ------------------------------------------------------------------------
    def answer(self, question: str, context: list[str] | tuple[str, ...] = (),
               profile: dict[str, Any] | None = None, *, as_of: dt.date | None = None,
               opening: Opening | None = None) -> Answer:
        """``opening``, when given, hears the reply's first line as soon as it is decided,
        before the citations are assembled (assistant/streaming.py)."""
        text = clean_question(question)
        script = detect_script(text)
        context = [clean_question(c) for c in context if isinstance(c, str) and c.strip()]
        if not _CJK.search(text):
            reply = replies.english_only() if _LATIN.search(text) else replies.not_understood()
            return self._finish(Answer(reply, abstained=True, intent="unreadable"), script)

        seen = self.understand(text, context, profile)
        intent = seen.intent
        answerable = seen.clause is not None and self.answerable(seen)
        if intent.label in ("smalltalk", "out_of_scope") and not answerable:
            reply = replies.smalltalk() if intent.label == "smalltalk" else replies.out_of_scope()
            answer = Answer(reply, abstained=intent.label == "out_of_scope")
        elif not answerable:
            answer = self._refusal(seen)
        elif seen.question.asks_verdict:
            answer = self._verdict_answer(seen, as_of, in_script(opening, script))
        else:
            answer = self._fact_answer(seen, as_of, in_script(opening, script))
        answer.intent = intent.label
        answer.facts = seen.facts
        return self._finish(answer, script)

    def understand(self, text: str, context: list[str], profile: dict[str, Any] | None
                   ) -> Understanding:
        """Facts, retrieval, the answering clause, its scope and the readings the models
        take — the same for answering and for training the models."""
        facts = merge_facts(profile, [*context[-CONTEXT_TURNS:], text])
        said = search_text(" ".join([*map(stated_in, context[-CONTEXT_TURNS:]), text]))
        context = topic_turns(text, context)
        norm = search_text(text)
        retrieved = self.searcher.search(text, 10, context=context,
                                         region=retrieval_region(facts, norm))
        index, _ = self.searcher.index()
        q = read_question(text)
        if context and not q.asks_verdict and q.form == "other" \
                and len(norm) <= FOLLOW_UP_CHARS and read_question(context[-1]).asks_verdict:
            q = dataclasses.replace(q, asks_verdict=True, form="verdict")
        terms = question_terms(text, context)
        self._refresh()
        cosines, agreements = self._passage_meaning(
            norm if not context else " ".join([*context[-1:], norm]),
            [h.chunk_id for h in retrieved[:DEPTH]])
        cands = candidates(retrieved, terms, index.bm25, norm, self._records,
                           q.form in ("number", "date"), cosines, agreements)
        hits = rerank(cands) + retrieved[len(cands):]
        clause = read_clause(hits[:5], terms, index.bm25, figures_wanted(norm, q.form), said)
        record = self._record(clause.hit.chunk_id) if clause else None
        scope = read_scope(record.region if record else None, facts, norm)
        # The asker's figures may stand in earlier turns (「一共交了8个月」…「那我能领吗」).
        comparison = compare(said, clause.hit.text if clause else "")
        topic = " ".join([*context[-1:], text]) if len(norm) <= FOLLOW_UP_CHARS else text
        check = assess(topic, hits[:5], index.bm25)
        intent = classify(text, context)
        off_topic = intent.scores.get("out_of_scope", 0.0) + intent.scores.get("smalltalk", 0.0)
        lead = next(({**c.features, "answers_p": answer_probability(c)} for c in cands
                     if clause and c.hit is clause.hit), {})
        a_features = answerability_features(q, clause, check, hits[0].score if hits else 0.0,
                                            self._foreign_place(norm), index.bm25.idf,
                                            off_topic, lead)
        if clause:
            a_features.update(agreement(self.searcher.embedder.encode_queries([norm])[0],
                                        self._sentence_vectors(clause.sentence)))
        conflicts = conflict(q.text, clause.sentence) if clause else []
        v_features = verdict_features(q, clause, scope, comparison, conflicts, said)
        unknown = q.term if q.term and not uses_term(q.term, hits[:DEPTH], index.bm25) else ""
        return Understanding(text, context, facts, hits, q, clause, record, scope, comparison,
                             check, a_features, v_features, cands, intent, conflicts, unknown)

    # -- decisions -----------------------------------------------------------------------
    @staticmethod
    def answerable(seen: Understanding) -> bool:
        if seen.unknown_term:
            return False
        model = load("answerable")
        if model is None:
            return seen.check.answerable
        threshold = float(model.meta.get("threshold", 0.5))
        if _untrained_document(model, seen):
            threshold = float(model.meta.get("unseen_document_threshold", threshold))
        return model.probabilities(seen.answerable_features)["answerable"] >= threshold

    @staticmethod
    def decide_verdict(seen: Understanding) -> tuple[str | None, dict[str, float]]:
        """The verdict the clause and the stated facts support; "yes" only when the model
        is sure, because a wrong 「可以」 is the worst error this product can make, and on
        another region's upload 「不可以」 only as sure as on the shipped texts."""
        model = load("verdict")
        if model is None:
            return None, {}
        probs = model.probabilities(seen.verdict_features, seen.wording)
        return verdict_of(probs, float(model.meta.get("yes_min", 0.5)), _no_min_for(model, seen),
                          figure_fails=seen.comparison.fails > 0), probs

    # -- replies -------------------------------------------------------------------------
    def _verdict_answer(self, seen: Understanding, as_of: dt.date | None,
                        opening: Opening | None = None) -> Answer:
        verdict, probs = self.decide_verdict(seen)
        assert seen.clause is not None
        # The asker's own 符合 / 不符合 to the conditions this question was answered with
        # settles it; 不清楚 leaves 「要看条件」, without asking the same thing again.
        confirmed = replies.confirmation(seen.facts, seen.text) \
            if verdict == "conditional" else None
        reasons = replies.no_reasons(seen.verdict_features, seen.scope, seen.comparison,
                                     seen.conflicts) if verdict == "no" else []
        conditions = replies.conditions(seen.clause.sentence, seen.clause.hit.text) \
            if verdict == "conditional" else None
        if confirmed in replies.CONFIRMED and conditions:
            verdict = "yes" if confirmed == replies.MEETS else "no"
            conditions = (replies.CONFIRMED[confirmed], conditions[1])
        if opening is not None:
            opening(replies.verdict_lead(verdict, reasons, seen.question.asks_need))
        expired_line, expired = self._expiry(seen.record, as_of)
        scope_line = replies.scope_line(seen.scope) if verdict != "no" else ""
        follow_up, choices = replies.follow_up(seen.facts, seen.clause.sentence,
                                               seen.scope.regional, confirmed) \
            if verdict == "conditional" else (None, [])
        text = replies.verdict_reply(verdict, reasons, conditions, scope_line, expired_line,
                                     follow_up, seen.question.asks_need)
        model = load("verdict")
        why = model.contributions(seen.verdict_features, verdict, seen.wording) \
            if model and verdict else []
        trace = {"kind": "reading", "verdict": verdict,
                 "probabilities": {k: round(v, 3) for k, v in probs.items()},
                 "why": [{"reading": f, "weight": round(w, 3)} for f, w in why[:6]],
                 "signals": [k for k, v in seen.verdict_features.items() if v],
                 "asker_confirmed": confirmed,
                 "no_min": _no_min_for(model, seen) if model else None,
                 "trained_document": not _untrained_document(model, seen) if model else None,
                 "scope": dataclasses.asdict(seen.scope), "clause": seen.clause.sentence}
        return Answer(text, verdict=verdict, citations=self._citations(seen),
                      rule_trace=[trace], follow_up=follow_up, expired=expired,
                      quick_replies=choices)

    def _fact_answer(self, seen: Understanding, as_of: dt.date | None,
                     opening: Opening | None = None) -> Answer:
        assert seen.clause is not None
        terms = question_terms(seen.text, seen.context)
        span = replies.answer_span(seen.clause.sentence, terms, seen.question.form)
        if opening is not None:
            opening(replies.fact_lead(span))
        expired_line, expired = self._expiry(seen.record, as_of)
        text = replies.fact_reply(span, replies.scope_line(seen.scope), expired_line)
        return Answer(text, citations=self._citations(seen), expired=expired)

    def _refusal(self, seen: Understanding) -> Answer:
        """The files do not answer: which term they never use, when that is why."""
        if seen.unknown_term:
            term = _as_typed(seen.text, seen.unknown_term)
            return Answer(replies.unknown_term(term), abstained=True,
                          rule_trace=[{"kind": "unknown_term", "term": term}])
        return Answer(replies.abstain(self._related_titles(seen)), abstained=True)

    def _citations(self, seen: Understanding) -> list[Citation]:
        """The answering clause first, then the best sentence of each next passage: at most
        three clauses from three passages, never a title or an issuing line."""
        assert seen.clause is not None
        terms = question_terms(seen.text, seen.context)
        index, _ = self.searcher.index()
        first = seen.clause.hit
        out = [Citation(first.chunk_id, first.doc_id, first.title, first.section,
                        seen.clause.sentence, note=first.source_note or "")]
        scope = self._scope_statement(first.doc_id) \
            if seen.scope.relation in ("outside", "hukou_only") else None
        if scope is not None and scope.chunk_id != first.chunk_id:
            out.append(scope)
        for hit in seen.hits[:MAX_CITATIONS + 1]:
            if len(out) == MAX_CITATIONS:
                break
            if any(c.chunk_id == hit.chunk_id for c in out):
                continue
            quote = best_sentence(hit, terms, index.bm25)
            if quote and not is_heading(quote, hit.title):
                out.append(Citation(hit.chunk_id, hit.doc_id, hit.title, hit.section, quote,
                                    note=hit.source_note or ""))
        return out

    def _scope_statement(self, doc_id: str) -> Citation | None:
        """Where the document says where it applies (「本条例适用于本省行政区域内…」), quoted
        under a reply that says 「这是河南省的规定，只适用于河南省」: that line rests on it, and
        the answering clause seldom repeats it."""
        self._refresh()
        if doc_id not in self._scope_statements:
            self._scope_statements[doc_id] = None
            own = [r for r in self._records.values() if r.doc_id == doc_id]
            for record in own[:SCOPE_ARTICLES]:
                said = next((s for s in sentences(record.text)
                             if SCOPE_SHAPE in clause_shapes(search_text(s))), None)
                if said:
                    self._scope_statements[doc_id] = Citation(
                        record.chunk_id, record.doc_id, record.title, record.section, said,
                        note=record.source_note or "")
                    break
        found = self._scope_statements[doc_id]
        return dataclasses.replace(found) if found else None

    def _expiry(self, record: ChunkRecord | None, as_of: dt.date | None) -> tuple[str, bool]:
        end = record.effective_to if record else None
        today = as_of or dt.date.today()
        if end and dt.date.fromisoformat(end) < today:
            return replies.expired_line(end), True
        return "", False

    def _related_titles(self, seen: Understanding) -> list[str]:
        """Documents worth naming in a refusal: only those that do touch the topic."""
        if seen.check.coverage < replies.RELATED_COVERAGE:
            return []
        return list(dict.fromkeys(h.title for h in seen.hits[:2]))

    def _record(self, chunk_id: str) -> ChunkRecord | None:
        self._refresh()
        return self._records.get(chunk_id)

    def _foreign_place(self, question: str) -> bool:
        """The question names a place that no regional document on file covers (上海,
        广东 …): its local figures cannot be in the files."""
        self._refresh()
        named = [m.chosen for m in resolve_mentions(question, region_mentions(question))
                 if m.chosen]
        return any(not ({r.name for r in regions().lineage(place)} & self._doc_regions)
                   for place in named)

    def _passage_meaning(self, question: str, chunk_ids: list[str]
                         ) -> tuple[list[float], list[dict[str, float]]]:
        """The question's vector (the one retrieval just computed, remembered by the
        embedder) against each passage's stored vector: the cosine, and its parts."""
        index, _ = self.searcher.index()
        query = self.searcher.embedder.encode_queries([question])[0]
        cosines, parts = [], []
        for chunk_id in chunk_ids:
            row = self._rows.get(chunk_id)
            if row is None:
                cosines.append(0.0)
                parts.append({})
                continue
            vector = index.faiss.reconstruct(row)
            cosines.append(float(vector @ query))
            parts.append(agreement(query, vector, "qp"))
        return cosines, parts

    def _refresh(self) -> None:
        """Per-build lookups, computed once per index build, not per question."""
        index, _ = self.searcher.index()
        if self._records_build is not index.folder:
            self._records = {r.chunk_id: r for r in index.records}
            self._rows = {r.chunk_id: i for i, r in enumerate(index.records)}
            self._doc_regions = {r.region for r in index.records} - {"全国"}
            self._scope_statements = {}
            self._records_build = index.folder

    @staticmethod
    def _finish(answer: Answer, script: str) -> Answer:
        """Everything the user reads in the user's own script, quotes included."""
        answer.script = script
        answer.answer = to_script(answer.answer, script)  # type: ignore[arg-type]
        if answer.follow_up:
            answer.follow_up = to_script(answer.follow_up, script)  # type: ignore[arg-type]
        answer.quick_replies = [to_script(q, script)  # type: ignore[arg-type]
                                for q in answer.quick_replies]
        for c in answer.citations:
            c.quote = to_script(c.quote, script)  # type: ignore[arg-type]
            c.title = to_script(c.title, script)  # type: ignore[arg-type]
            c.section = to_script(c.section, script)  # type: ignore[arg-type]
            c.section_short = to_script(c.section_short, script)  # type: ignore[arg-type]
            c.note = to_script(c.note, script)  # type: ignore[arg-type]
        return answer
