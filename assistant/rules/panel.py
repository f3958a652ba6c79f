"""What a counselor sees of a rule for one worker: a status to act on, in the worker's place.

The engine answers "does the rule pass?" in three-valued logic; a counselor needs more:
whether the rule is of the worker's place at all, whether a failure means the rule is about
someone else (「不适用」) or that a stated fact misses a condition (「不符合」, naming both),
which questions would settle an open rule, and that an expired rule still matters but must
be checked locally. The matcher's subsidy finding asks the same questions of the same code
(``RuleBook.assess``), so the panel and the match reasons cannot disagree.

This module does not import the engine at run time: the engine calls into it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from assistant.rules.model import AllNode, Condition, Leaf, NotNode, Rule
from corpus.regions import NATIONAL, Region, regions

if TYPE_CHECKING:  # pragma: no cover
    from assistant.rules.engine import RuleBook, RuleResult

PanelStatus = Literal["applies", "undetermined", "not_eligible", "not_applicable", "expired",
                      "not_yet_effective"]
Scope = Literal["national", "local", "unplaced", "elsewhere"]

STATUS_LABELS: dict[str, str] = {
    "applies": "符合", "undetermined": "待确认", "not_eligible": "不符合",
    "not_applicable": "不适用", "expired": "已失效", "not_yet_effective": "尚未生效",
}
#: Display order: what the worker gets, what to ask, what lapsed, what they miss, the rest.
STATUS_ORDER = ("applies", "undetermined", "expired", "not_yet_effective", "not_eligible",
                "not_applicable")
_SCOPE_ORDER = {"local": 0, "unplaced": 1, "national": 2, "elsewhere": 3}
CONFIRM_LOCALLY = "现行做法请向当地人社部门确认"
#: Facts that say whom a rule is for. A rule failing on one of them concerns other people
#: (an employer, a student, a veteran) and is 「不适用」, not a condition the worker misses.
BENEFICIARY_FACTS = frozenset({"subject", "groups", "employment_status", "school_type",
                               "correctional_status"})
_PLACE_FACT = {"province": "province", "prefecture": "city", "county": "county"}


@dataclass
class Question:
    fact: str
    label: str
    question: str


@dataclass
class FailedCondition:
    fact: str
    label: str
    value: str  # the stated value, as a person reads it
    condition: str  # the condition in words: "年龄 ≤ 25岁"
    cite: dict[str, Any] | None = None


@dataclass
class PanelItem:
    rule_id: str
    title: str
    region: str
    scope: Scope
    status: PanelStatus
    label: str  # STATUS_LABELS[status]
    reason: str  # one Chinese sentence: why this status
    verdict: str | None  # "yes"/"conditional" when it applies, "no" when not eligible
    outcome: dict[str, Any]
    questions: list[Question] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    failed: list[FailedCondition] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    effective: dict[str, str | None] = field(default_factory=dict)
    subject: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)
    interpretation: str | None = None
    note: str | None = None

    @property
    def follow_up(self) -> str | None:
        return self.questions[0].question if self.questions else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["follow_up"] = self.follow_up
        return out


# -- place -------------------------------------------------------------------------------


def worker_place(facts: Mapping[str, Any]) -> Region | None:
    """The most specific place the (normalised) facts give."""
    for key in ("county", "city", "province"):
        if facts.get(key):
            return regions().find(str(facts[key]))
    return None


def place_name(place: Region | None) -> str | None:
    """"江西省南昌市", for the summary line."""
    if place is None:
        return None
    chain = [r.name for r in reversed(regions().lineage(place)) if r.level != "national"]
    return "".join(dict.fromkeys(chain))


def scope_of(rule: Rule, place: Region | None, facts: Mapping[str, Any]) -> Scope:
    """Whose rule it is, seen from the worker's place.

    ``local``: the rule's region contains the worker's place (a city's rules only for that
    city). ``unplaced``: the worker may be there but has not said (a province's rules when no
    place is known, a city's rules when only its province is). A rule that itself restricts
    by 户籍 is also local to someone registered there. Everything else is ``elsewhere``.
    """
    if rule.region == NATIONAL:
        return "national"
    table = regions()
    region = table.resolve(rule.region)
    known = [place] if place else []
    if "hukou_province" in rule.reads and facts.get("hukou_province"):
        known.append(table.resolve(str(facts["hukou_province"])))
    if any(region.code in {r.code for r in table.lineage(p)} for p in known):
        return "local"
    if place is None:
        return "unplaced" if region.level == "province" else "elsewhere"
    inside = place.code in {r.code for r in table.lineage(region)}
    return "unplaced" if inside else "elsewhere"


def holds_rules_for(book: RuleBook, place: str, as_of: dt.date) -> bool:
    """Whether the book has a rule in force of ``place`` or of a region containing it,
    national rules aside: without one, what is paid there is not ours to say."""
    table = regions()
    lineage = {r.name for r in table.lineage(table.resolve(place))} - {NATIONAL}
    return any(rule.region in lineage and rule.effective.from_ <= as_of
               and (rule.effective.to is None or as_of <= rule.effective.to)
               for rule in book.rules.values())


# -- one rule ----------------------------------------------------------------------------


def assess(book: RuleBook, rule_id: str, facts: Mapping[str, Any] | None,
           as_of: dt.date | None = None) -> PanelItem:
    """The counselor's view of one rule (unknown id → ``NotFound`` ``rule_not_found``)."""
    rule = book.rule(rule_id)
    clean = book.registry.normalize(facts)
    return assess_rule(book, rule, clean, worker_place(clean), as_of or dt.date.today())


def assess_rule(book: RuleBook, rule: Rule, clean: Mapping[str, Any], place: Region | None,
                as_of: dt.date) -> PanelItem:
    """:func:`assess` for normalised facts and a known place (the panel's loop)."""
    scope = scope_of(rule, place, clean)
    result = book.evaluate(rule.id, clean, as_of)
    if scope == "elsewhere":
        where = f"您所在地为{place_name(place)}" if place else "您尚未说明所在地区"
        return _item(book, rule, result, scope, "not_applicable",
                     f"该规定只适用于{rule.region}，{where}。")
    if result.status in ("expired", "not_yet_effective"):
        return _timed(book, rule, result, clean, scope)
    status, reason, failed = _classify(book, rule, result)
    item = _item(book, rule, result, scope, status, reason, failed)
    if scope == "unplaced" and status in ("applies", "undetermined"):
        _ask_place(book, rule, item)
    return item


def _classify(book: RuleBook, rule: Rule, result: RuleResult
              ) -> tuple[PanelStatus, str, list[FailedCondition]]:
    benefit = rule.outcome.benefit
    if result.status == "applies":
        lead = "符合" if result.verdict == "yes" else "符合基本条件，还要看具体规定"
        return "applies", f"{lead}：{benefit}", []
    if result.status == "undetermined":
        labels = "、".join(book.registry.specs[f].label for f in result.missing_facts)
        return "undetermined", f"还需确认：{labels}", []
    if any(t.kind == "subject" and t.status == "fail" for t in result.trace):
        return "not_applicable", result.note or "该规定针对其他主体。", []
    leaves = {t.id: t for t in result.trace if t.kind == "leaf"}
    culprits = list({leaf.id: (leaf, negated) for leaf, negated
                     in _culprits(rule.conditions, leaves, "fail")}.values())
    if not culprits or any(leaf.fact in BENEFICIARY_FACTS for leaf, _ in culprits):
        named = [_describe(book, leaf, negated) for leaf, negated in culprits
                 if leaf.fact in BENEFICIARY_FACTS]
        whom = "；".join(named[:3]) + ("等" if len(named) > 3 else "") if named else rule.title
        return "not_applicable", f"该规定面向其他人员（{whom}），不涉及您。", []
    failed = [_failed(book, leaf, negated, leaves) for leaf, negated in culprits]
    reason = "；".join(f"{f.label}为{f.value}，而条件是“{f.condition}”" for f in failed)
    return "not_eligible", f"不符合：{reason}。", failed


def _culprits(node: Condition, leaves: Mapping[str, Any], outcome: str,
              negated: bool = False) -> Iterable[tuple[Leaf, bool]]:
    """The leaves that make ``node`` come out as ``outcome`` ("pass" or "fail"); ``negated``
    marks a leaf seen through a ``not`` (the worker *is* what the rule excludes)."""
    if isinstance(node, Leaf):
        if leaves[node.id].status == outcome:
            yield node, negated
        return
    if isinstance(node, NotNode):
        flipped = "pass" if outcome == "fail" else "fail"
        yield from _culprits(node.not_, leaves, flipped, not negated)
        return
    children = node.all if isinstance(node, AllNode) else node.any
    statuses = [_status(child, leaves) for child in children]
    decisive = "fail" if isinstance(node, AllNode) else "pass"
    for child, status in zip(children, statuses, strict=True):
        if status == outcome and (outcome == decisive or decisive not in statuses):
            yield from _culprits(child, leaves, outcome, negated)


def _status(node: Condition, leaves: Mapping[str, Any]) -> str:
    """A node's status recomputed from its leaves (the trace holds only named composites)."""
    if isinstance(node, Leaf):
        return str(leaves[node.id].status)
    if isinstance(node, NotNode):
        return {"pass": "fail", "fail": "pass"}.get(_status(node.not_, leaves), "unknown")
    children = [_status(c, leaves) for c in (node.all if isinstance(node, AllNode)
                                              else node.any)]
    decisive, default = ("fail", "pass") if isinstance(node, AllNode) else ("pass", "fail")
    if decisive in children:
        return decisive
    return "unknown" if "unknown" in children else default


def _describe(book: RuleBook, leaf: Leaf, negated: bool) -> str:
    words = book.describe(leaf)
    return f"不属于：{words}" if negated else words


def _failed(book: RuleBook, leaf: Leaf, negated: bool, leaves: Mapping[str, Any]
            ) -> FailedCondition:
    spec = book.registry.specs[leaf.fact]
    seen = leaves[leaf.id].value_seen
    return FailedCondition(fact=leaf.fact, label=spec.label,
                           value=book.registry.display(leaf.fact, seen),
                           condition=_describe(book, leaf, negated),
                           cite=leaf.cite.model_dump())


def _timed(book: RuleBook, rule: Rule, result: RuleResult, clean: Mapping[str, Any],
           scope: Scope) -> PanelItem:
    """An expired (or future) rule, judged as on its last (first) day: one that would not
    concern the worker anyway is 「不适用」; any other is shown with its dates."""
    expired = result.status == "expired"
    day = rule.effective.to if expired else rule.effective.from_
    assert day is not None
    then = book.evaluate(rule.id, clean, day)
    status, reason, _ = _classify(book, rule, then)
    if status == "not_applicable":
        return _item(book, rule, then, scope, status, reason)
    if expired:
        text = (f"该规定已于 {day.isoformat()} 到期（到期前按您的情况：{reason}）。"
                f"{CONFIRM_LOCALLY}。")
    else:
        text = f"该规定自 {day.isoformat()} 起施行，尚未生效（届时按您的情况：{reason}）。"
    item = _item(book, rule, result, scope, result.status, text)  # type: ignore[arg-type]
    item.note = result.note
    return item


def _item(book: RuleBook, rule: Rule, result: RuleResult, scope: Scope, status: PanelStatus,
          reason: str, failed: list[FailedCondition] | None = None) -> PanelItem:
    missing = list(result.missing_facts) if status == "undetermined" else []
    verdict = result.verdict if status == "applies" else "no" if status == "not_eligible" \
        else None
    return PanelItem(
        rule_id=rule.id, title=rule.title, region=rule.region, scope=scope, status=status,
        label=STATUS_LABELS[status], reason=reason, verdict=verdict,
        outcome=rule.outcome.model_dump(), questions=[_question(book, f) for f in missing],
        missing_facts=missing, failed=failed or [], citations=list(result.citations),
        effective=dict(result.effective), subject=list(rule.subject),
        trace=[asdict(t) for t in result.trace], interpretation=rule.interpretation,
        note=result.note)


def _question(book: RuleBook, fact: str) -> Question:
    spec = book.registry.specs[fact]
    return Question(fact=fact, label=spec.label, question=spec.ask)


def _ask_place(book: RuleBook, rule: Rule, item: PanelItem) -> None:
    """A rule of a place the worker has not confirmed: open until the place is known."""
    fact = _PLACE_FACT[regions().resolve(rule.region).level]
    if fact not in item.missing_facts:
        item.missing_facts.insert(0, fact)
        item.questions.insert(0, _question(book, fact))
    item.status, item.label, item.verdict = "undetermined", STATUS_LABELS["undetermined"], None
    labels = "、".join(q.label for q in item.questions)
    item.reason = f"该规定只适用于{rule.region}；还需确认：{labels}"


# -- the panel ---------------------------------------------------------------------------


def panel(book: RuleBook, facts: Mapping[str, Any] | None, as_of: dt.date) -> dict[str, Any]:
    """Every rule for the facts' subject, national or of the worker's place, ordered for
    action; rules of other places and for other subjects are counted, not listed."""
    clean = book.registry.normalize(facts)
    place = worker_place(clean)
    subject = clean.get("subject")
    items: list[PanelItem] = []
    elsewhere: Counter[str] = Counter()
    other_subjects = 0
    for rule in book.rules.values():
        if subject is not None and subject not in rule.subject:
            other_subjects += 1
            continue
        if scope_of(rule, place, clean) == "elsewhere":
            elsewhere[rule.region] += 1
            continue
        items.append(assess_rule(book, rule, clean, place, as_of))
    items = order(items)
    return {"as_of": as_of.isoformat(), "place": place_name(place),
            "summary": _summary(items, elsewhere, other_subjects, place),
            "results": [item.to_dict() for item in items]}


def order(items: list[PanelItem]) -> list[PanelItem]:
    """Applies, then open rules with the fewest questions first, …, 不适用 last; within a
    status the worker's own place before national rules, then rule-book order."""
    index = {id(item): i for i, item in enumerate(items)}
    return sorted(items, key=lambda item: (
        STATUS_ORDER.index(item.status),
        len(item.missing_facts) if item.status == "undetermined" else 0,
        _SCOPE_ORDER[item.scope], index[id(item)]))


def _summary(items: list[PanelItem], elsewhere: Counter[str], other_subjects: int,
             place: Region | None) -> dict[str, Any]:
    counts = Counter(item.status for item in items)
    asked: Counter[str] = Counter()
    questions: dict[str, Question] = {}
    for item in items:
        if item.status == "undetermined":
            for q in item.questions:
                asked[q.fact] += 1
                questions[q.fact] = q
    out: dict[str, Any] = {
        "shown": len(items),
        "by_status": {status: counts.get(status, 0) for status in STATUS_ORDER},
        "other_places": sum(elsewhere.values()),
        "other_places_by_region": dict(sorted(elsewhere.items())),
        "other_subjects": other_subjects,
        # The questions that would settle the most open rules, most useful first.
        "ask_next": [{**asdict(questions[fact]), "rules": n} for fact, n in asked.most_common()],
        "note": None,
    }
    if place is None:
        out["note"] = ("未提供所在地区：列出全国性规定和各省规定（已注明省份），"
                       "请先确认所在省份和城市。")
    return out
