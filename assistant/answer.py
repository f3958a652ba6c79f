"""One question in, one grounded answer out.

Every sentence of an answer is either a quoted clause (with document and section) or
the verdict of an eligibility rule whose conditions are cited. The flow reads top to
bottom in :meth:`Assistant.answer`: check the input, route the intent, gather facts,
retrieve, apply rules, decide whether the files answer at all, then compose.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant import replies
from assistant.abstain import Answerability, assess
from assistant.evidence import Quote, best_quotes, question_terms
from assistant.facts import extract_facts
from assistant.intent import classify
from assistant.rules.engine import RuleBook, RuleResult
from corpus.errors import InvalidInput
from corpus.normalize import detect_script, eval_normalize, to_script
from corpus.search import Searcher, SearchHit

MAX_QUESTION_CHARS = 2000
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


class Assistant:
    def __init__(self, searcher: Searcher, rules: RuleBook) -> None:
        self.searcher = searcher
        self.rules = rules

    def answer(self, question: str, context: list[str] | tuple[str, ...] = (),
               profile: dict[str, Any] | None = None, *, as_of: dt.date | None = None
               ) -> Answer:
        text = clean_question(question)
        script = detect_script(text)
        context = [clean_question(c) for c in context if isinstance(c, str) and c.strip()]
        if not _CJK.search(text):
            reply = replies.english_only() if _LATIN.search(text) else replies.not_understood()
            return self._finish(Answer(reply, abstained=True, intent="unreadable"), script)

        intent = classify(text, context)
        if intent.label in ("smalltalk", "out_of_scope"):
            reply = replies.smalltalk() if intent.label == "smalltalk" else replies.out_of_scope()
            return self._finish(Answer(reply, abstained=intent.label == "out_of_scope",
                                       intent=intent.label), script)

        facts = {**(profile or {}), **extract_facts(" ".join([*context[-1:], text]))}
        facts.update(extract_facts(text))
        hits = self.searcher.search(text, 5, context=context)
        index, _ = self.searcher.index()
        result = self._apply_rules(text, context, facts, as_of)
        if result is not None:
            answer = self._rule_answer(result, hits)
        else:
            check = assess(text, hits, index.bm25)
            if not check.answerable or not hits:
                answer = Answer(replies.abstain(hits), abstained=True)
            else:
                quotes = best_quotes(hits, question_terms(text, context), index.bm25)
                answer = self._extractive(quotes, hits, check)
        answer.intent = intent.label
        answer.facts = facts
        return self._finish(answer, script)

    # -- rules ---------------------------------------------------------------------------
    def _apply_rules(self, text: str, context: list[str], facts: dict[str, Any],
                     as_of: dt.date | None) -> RuleResult | None:
        """The most decisive result among the rules relevant to this question."""
        candidates = self.rules.relevant(" ".join([*context[-1:], text]), facts)
        results = [self.rules.evaluate(rule.id, facts, as_of) for rule in candidates]
        order = {"applies": 0, "does_not_apply": 0, "undetermined": 1,
                 "not_yet_effective": 2, "expired": 3}
        results.sort(key=lambda r: order.get(r.status, 9))
        return results[0] if results else None

    def _rule_answer(self, result: RuleResult, hits: list[SearchHit]) -> Answer:
        citations = [self._locate(c) for c in result.citations]
        lead = replies.verdict_lead(result)
        body = replies.quote_lines(citations)
        answer = f"{lead}\n{body}" if body else lead
        if result.follow_up:
            answer += f"\n{result.follow_up}"
        return Answer(answer, verdict=result.verdict, citations=citations,
                      rule_trace=[result.to_dict()], missing_facts=result.missing_facts,
                      follow_up=result.follow_up)

    def _locate(self, cite: dict[str, Any]) -> Citation:
        """The indexed chunk that holds a rule's quoted clause."""
        index, _ = self.searcher.index()
        needle = eval_normalize(cite["quote"])
        for rec in index.records:
            if rec.doc_id == cite["doc"] and needle in eval_normalize(rec.text):
                return Citation(rec.chunk_id, rec.doc_id, rec.title, rec.section, cite["quote"])
        title = next((r.title for r in index.records if r.doc_id == cite["doc"]), cite["doc"])
        return Citation(None, cite["doc"], title, cite.get("section") or "", cite["quote"])

    # -- extractive ----------------------------------------------------------------------
    @staticmethod
    def _extractive(quotes: list[Quote], hits: list[SearchHit], check: Answerability
                    ) -> Answer:
        if not quotes:
            quotes = [Quote(hits[0], hits[0].text, 0.0)]
        citations = [Citation(q.hit.chunk_id, q.hit.doc_id, q.hit.title, q.hit.section, q.text)
                     for q in quotes]
        return Answer(replies.extractive(citations), citations=citations)

    @staticmethod
    def _finish(answer: Answer, script: str) -> Answer:
        """Everything the user reads in the user's own script, quotes included."""
        answer.script = script
        answer.answer = to_script(answer.answer, script)  # type: ignore[arg-type]
        if answer.follow_up:
            answer.follow_up = to_script(answer.follow_up, script)  # type: ignore[arg-type]
        for c in answer.citations:
            c.quote = to_script(c.quote, script)  # type: ignore[arg-type]
            c.title = to_script(c.title, script)  # type: ignore[arg-type]
            c.section = to_script(c.section, script)  # type: ignore[arg-type]
        return answer
