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
from pathlib import Path
from typing import Any

from assistant import replies
from assistant.abstain import Answerability, assess
from assistant.evidence import Quote, best_quotes, question_terms
from assistant.facts import extract_facts
from assistant.intent import classify
from assistant.rules.check import profile_to_facts
from assistant.rules.engine import RuleBook, RuleResult
from corpus.errors import InvalidInput
from corpus.index import ChunkRecord
from corpus.normalize import detect_script, eval_normalize, search_text, to_script
from corpus.regions import regions
from corpus.search import Searcher, SearchHit

MAX_QUESTION_CHARS = 2000
# A rule answers only when retrieval itself ranks one of its cited clauses this high:
# the rule must be about what was asked, not merely share a keyword with it.
RULE_DEPTH = 10
# A yes/no question ("能否…", "能不能…", "可以…吗", "是…吗") asks for a verdict whatever
# the intent router calls it.
_YES_NO = re.compile(r"能否|可否|是否|能不能|可不可以|会不会|是不是|有没有|算不算|"
                     r"(?:能|可以|可|会|算|是|有)[^。？?]{0,30}[吗嗎](?:[?？]|\s*$)|"
                     r"(?:能|可以)(?:参加|享受|申请|报名|领|拿)[^。？?]{0,10}[?？]?\s*$")
# "怎么申请", "去哪里报名": a question about procedure is answered from the text, not
# with a verdict, unless it also asks yes or no.
_HOW = re.compile(r"怎么|怎样|如何|哪里|哪儿|去哪|在哪|流程|步骤|手续|材料|什么时候|多久")
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


def _place(facts: dict[str, Any]) -> str | None:
    """The most specific place the asker is in or asks about: only the policies that apply
    there (its own, its province's, national ones) can answer."""
    for key in ("county", "city", "province"):
        value = facts.get(key)
        if isinstance(value, str) and regions().find(value) is not None:
            return value
    return None


def _for_someone_else(result: RuleResult) -> bool:
    """A rule about workers does not answer an enterprise's question (and vice versa)."""
    return any(t.kind == "subject" and t.status == "fail" for t in result.trace)


_REGION_FACTS = {"province", "city", "county", "hukou_province"}
# Clauses that select among applicants: the general answer is "it depends", not "yes".
_SELECTIVE = ("符合条件", "符合條件", "择优", "擇優", "遴选", "遴選")


def _general_reading(result: RuleResult) -> RuleResult:
    """A question about a category ("企业能否……", "平台能否纳入……") states no facts of
    its own, so the rule cannot settle it for an individual. It is answered with what the
    rule grants the category: "yes" (its conditions listed), or "conditional" where the
    clause itself selects among applicants."""
    leaves = [t for t in result.trace if t.kind == "leaf" and t.fact not in _REGION_FACTS]
    if result.verdict is not None or not leaves or any(t.status != "unknown" for t in leaves):
        return result
    if any(t.status == "fail" for t in result.trace if t.kind == "leaf"):
        return result
    granted = (result.outcome or {}).get("verdict_if_pass", "yes")
    quotes = "".join(c.get("quote", "") for c in result.citations)
    selective = granted == "conditional" and any(m in quotes for m in _SELECTIVE)
    result.verdict = "conditional" if selective else "yes"
    result.note = (result.note + "；" if result.note else "") + "按政策对这一类对象的一般规定作答"
    return result


_DEPARTMENT = re.compile(
    r"(?:由|是|归|找|向|到|给)([\u4e00-\u9fff]{1,10}?(?:厅|局|委员会|委|部|总工会))")


def _asks_other_department(question: str, result: RuleResult) -> bool:
    """"是由省人社厅负责吗？" when the rule names another department: the answer is no."""
    department = (result.outcome or {}).get("department")
    if not department:
        return False
    asked = [m.group(1) for m in _DEPARTMENT.finditer(search_text(question))]
    target = search_text(department)
    return bool(asked) and not any(a.lstrip("由是归找向到给省市区县") in target for a in asked)


def _quote_citation(q: Quote) -> Citation:
    return Citation(q.hit.chunk_id, q.hit.doc_id, q.hit.title, q.hit.section, q.text)


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen: set[str] = set()
    kept = []
    for c in citations:
        key = eval_normalize(c.quote)
        if key and not any(key in s or s in key for s in seen):
            seen.add(key)
            kept.append(c)
    return kept


class Assistant:
    def __init__(self, searcher: Searcher, rules: RuleBook) -> None:
        self.searcher = searcher
        self.rules = rules
        self._by_doc: dict[str, list[tuple[ChunkRecord, str]]] = {}
        self._by_doc_build: Path | None = None

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
        facts = {**(profile or {}), **extract_facts(" ".join([*context[-1:], text]))}
        facts.update(extract_facts(text))
        hits = self.searcher.search(text, 10, context=context, region=_place(facts))
        index, _ = self.searcher.index()
        # The classifier may call a policy question chit-chat; the corpus has the last word.
        topic = " ".join([*context[-1:], text])  # a follow-up is judged with its topic
        if intent.label in ("smalltalk", "out_of_scope") and \
                not assess(topic, hits[:5], index.bm25).answerable:
            reply = replies.smalltalk() if intent.label == "smalltalk" else replies.out_of_scope()
            return self._finish(Answer(reply, abstained=intent.label == "out_of_scope",
                                       intent=intent.label), script)

        result = None
        if _YES_NO.search(text) or (intent.route == "eligibility" and not _HOW.search(text)):
            result = self._apply_rules(text, context, facts, as_of, hits[:RULE_DEPTH])
        hits = hits[:5]
        quotes = best_quotes(hits, question_terms(text, context), index.bm25)
        check = assess(topic, hits, index.bm25)
        if check.asks_money and not check.states_money:
            # No rule verdict answers "how much" when no passage states an amount.
            answer = Answer(replies.abstain(hits), abstained=True)
        elif result is not None:
            answer = self._rule_answer(text, result, quotes)
        elif not check.answerable or not hits:
            answer = Answer(replies.abstain(hits), abstained=True)
        else:
            answer = self._extractive(quotes, hits, check)
        answer.intent = intent.label
        answer.facts = facts
        return self._finish(answer, script)

    # -- rules ---------------------------------------------------------------------------
    def _apply_rules(self, text: str, context: list[str], facts: dict[str, Any],
                     as_of: dt.date | None, hits: list[SearchHit]) -> RuleResult | None:
        """Among the rules relevant to this question, the one whose cited clauses the
        retrieval ranks highest; a decided verdict before an undetermined one."""
        facts = self._rule_facts(facts)
        candidates = self.rules.relevant(" ".join([*context[-1:], text]), facts)
        results = [r for r in (self._evaluate(rule.id, facts, as_of) for rule in candidates)
                   if not _for_someone_else(r)]
        order = {"applies": 0, "does_not_apply": 0, "undetermined": 1,
                 "not_yet_effective": 2, "expired": 3}
        ranked = [(self._retrieval_rank(r, hits), order.get(r.status, 9), i, r)
                  for i, r in enumerate(results)]
        ranked = sorted(row for row in ranked if row[0] < len(hits))
        if not ranked:
            return None
        # One rule's "no" does not answer "can I…" when another backed rule grants it
        # ("去年技校毕业没找到工作": not a graduating-year student, but a recent graduate).
        if ranked[0][3].verdict == "no":
            granting = [row for row in ranked if row[3].verdict in ("yes", "conditional")]
            if granting:
                return granting[0][3]
        return ranked[0][3]

    def _rule_facts(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The facts the rule registry knows, in its form; a value the registry rejects
        (an extraction it cannot read) is left out rather than failing the answer."""
        converted = profile_to_facts(facts)
        if "subject" not in facts:
            converted.pop("subject", None)  # who asks is unknown: do not assume a worker
        kept: dict[str, Any] = {}
        for name, value in converted.items():
            if name not in self.rules.registry.specs or value is None:
                continue
            try:
                self.rules.registry.value(name, value)
            except InvalidInput:
                continue
            kept[name] = value
        return kept

    def _evaluate(self, rule_id: str, facts: dict[str, Any], as_of: dt.date | None
                  ) -> RuleResult:
        """An expired rule is reported as expired, together with what it decided while it
        was in force, so a question about that period still gets its answer."""
        result = self.rules.evaluate(rule_id, facts, as_of)
        end = (result.effective or {}).get("to")
        if result.status == "expired" and end:
            result = self.rules.evaluate(rule_id, facts, dt.date.fromisoformat(end))
            result.status = "expired"
            result.note = f"该规定的有效期至 {end}，现已过期"
        return _general_reading(result)

    def _retrieval_rank(self, result: RuleResult, hits: list[SearchHit]) -> int:
        """Rank of the best retrieved passage holding one of the rule's cited clauses."""
        quotes = [eval_normalize(c["quote"]) for c in result.citations]
        for rank, hit in enumerate(hits):
            text = eval_normalize(hit.text)
            if any(q and q in text for q in quotes):
                return rank
        return len(hits)

    def _rule_answer(self, question: str, result: RuleResult, quotes: list[Quote]) -> Answer:
        """The rule's verdict and cited conditions, then the retrieved clauses that say
        the same in the document's own words (quotes already cited are not repeated)."""
        citations = _dedupe([self._locate(c) for c in result.citations] +
                            [_quote_citation(q) for q in quotes[:2]])
        undecided = result.status in ("undetermined", "expired") and result.missing_facts
        verdict = result.verdict or ("conditional" if undecided else None)
        lead = replies.verdict_lead(result)
        if verdict == "yes" and _asks_other_department(question, result):
            verdict, lead = "no", replies.other_department(result)
        body = replies.quote_lines(citations)
        answer = f"{lead}\n{body}" if body else lead
        if result.follow_up:
            answer += f"\n{result.follow_up}"
        return Answer(answer, verdict=verdict, citations=citations,
                      rule_trace=[result.to_dict()], missing_facts=result.missing_facts,
                      follow_up=result.follow_up)

    def _locate(self, cite: dict[str, Any]) -> Citation:
        """The indexed chunk that holds a rule's quoted clause."""
        chunks = self._chunks_by_doc().get(cite["doc"], [])
        needle = eval_normalize(cite["quote"])
        for rec, norm in chunks:
            if needle in norm:
                return Citation(rec.chunk_id, rec.doc_id, rec.title, rec.section, cite["quote"])
        title = chunks[0][0].title if chunks else cite["doc"]
        return Citation(None, cite["doc"], title, cite.get("section") or "", cite["quote"])

    def _chunks_by_doc(self) -> dict[str, list[tuple[ChunkRecord, str]]]:
        """Each document's chunks with their normalised text, computed once per index
        build rather than on every citation (the corpus may hold 100,000 chunks)."""
        index, _ = self.searcher.index()
        if self._by_doc_build != index.folder:
            by_doc: dict[str, list[tuple[ChunkRecord, str]]] = {}
            for rec in index.records:
                by_doc.setdefault(rec.doc_id, []).append((rec, eval_normalize(rec.text)))
            self._by_doc, self._by_doc_build = by_doc, index.folder
        return self._by_doc

    # -- extractive ----------------------------------------------------------------------
    @staticmethod
    def _extractive(quotes: list[Quote], hits: list[SearchHit], check: Answerability
                    ) -> Answer:
        if not quotes:
            quotes = [Quote(hits[0], hits[0].text, 0.0)]
        return Answer(replies.extractive(citations := [_quote_citation(q) for q in quotes]),
                      citations=citations)

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
