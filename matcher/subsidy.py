"""Can this worker get a training subsidy? Asked of the assistant's rule engine, so the
matcher's "您属于退役军人，可享受培训补贴" is the verdict of a cited rule, never a guess.

The rules consulted are the ones whose outcome is a training subsidy for a worker
(listed below by id; ``tests/test_matcher.py`` checks they exist). The worker is taken to
be enrolling in training (that is why they are matching) and, unless retired, to want work.

The book is asked through ``assess``, the eligibility panel's own view of a rule (regional
scope and statuses), so a reason never claims a subsidy under a rule the panel shows as
of another place or not applicable. A subsidy is paid where the training is given, so
``program_subsidies`` judges each program by the rules of its own region.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import yaml

from corpus.domain.profile import Profile
from corpus.errors import InvalidInput
from corpus.library import SHIPPED
from corpus.regions import regions
from matcher.snapshot import Snapshot

TRAINING_SUBSIDY_RULES = (
    "vet_training_subsidy", "epl_unemployed_training_subsidy", "ui_training_subsidy",
    "hn_training_subsidy", "jx_trainee_subsidies", "jx_graduating_students_subsidy",
    "sd_disabled_training_subsidy", "gf_insured_staff_skill_upgrade",
)
RETIREMENT_AGE = 60
#: Facts the matcher assumes for anyone it matches (the profile does not state them).
TRAINING_CONTEXT = ("participating_in_training", "reached_retirement_age", "wants_employment")
ASK_LOCALLY = "补贴以项目所在地人社部门规定为准"


class RuleAssessment(Protocol):
    """A rule as the eligibility panel shows it (``assistant.rules.panel.PanelItem``)."""

    rule_id: str
    region: str
    scope: str  # national | local | unplaced | elsewhere
    status: str  # applies | undetermined | not_eligible | not_applicable | expired | …
    verdict: str | None
    reason: str
    outcome: dict[str, Any]
    missing_facts: list[str]
    questions: list[Any]  # each with a Chinese ``question``
    citations: list[dict[str, Any]]
    effective: dict[str, str | None]


class RuleEvaluator(Protocol):
    """The part of the assistant's rule book the matcher uses; the service wires the real
    one in (``api/matching.py``), so the matcher does not depend on the assistant."""

    def evaluate(self, rule_id: str, facts: dict[str, Any] | None,
                 as_of: dt.date | None = None) -> Any: ...  # pragma: no cover

    def assess(self, rule_id: str, facts: dict[str, Any] | None,
               as_of: dt.date | None = None) -> RuleAssessment: ...  # pragma: no cover

    def holds_rules_for(self, place: str,
                        as_of: dt.date | None = None) -> bool: ...  # pragma: no cover


@lru_cache(maxsize=1)
def shipped_titles() -> dict[str, str]:
    """Document id → title from the shipped texts' metadata, for homes whose corpus has
    not been ingested (a catalog-only home still cites the law by name)."""
    out: dict[str, str] = {}
    for meta in SHIPPED.rglob("*.meta.yaml"):
        data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
        if data.get("id") and data.get("title"):
            out[str(data["id"])] = str(data["title"])
    return out


@dataclass(frozen=True)
class SubsidyFinding:
    verdict: str | None  # "yes" | "conditional" | None (no rule grants it)
    rule_id: str | None
    reason: str | None  # Chinese, with the citation
    citation: dict[str, Any] | None


def _facts(profile: Profile) -> dict[str, Any]:
    facts = profile.facts()
    facts["participating_in_training"] = True
    if profile.age is not None:
        facts["reached_retirement_age"] = profile.age >= RETIREMENT_AGE
        facts["wants_employment"] = profile.age < RETIREMENT_AGE
    return facts


def _assessments(book: RuleEvaluator, facts: dict[str, Any], today: dt.date
                 ) -> list[RuleAssessment]:
    out = []
    for rule_id in TRAINING_SUBSIDY_RULES:
        try:
            out.append(book.assess(rule_id, facts, today))
        except InvalidInput:
            continue
    return out


_SCOPE_RANK = {"local": 0, "unplaced": 1, "national": 2, "elsewhere": 3}


def _granting(items: Iterable[RuleAssessment]) -> list[RuleAssessment]:
    """Rules that grant it, "yes" before "conditional", the place's own before national."""
    found = [item for item in items
             if item.status == "applies" and item.verdict in ("yes", "conditional")]
    return sorted(found, key=lambda item: (item.verdict != "yes", _SCOPE_RANK[item.scope]))


def _basis(item: RuleAssessment, titles: dict[str, str] | None
           ) -> tuple[str, dict[str, Any] | None]:
    """"（依据《…》第…条）" and the rule's own reference."""
    cite = item.citations[0] if item.citations else None
    if cite is None:
        return "", None
    title = {**shipped_titles(), **(titles or {})}.get(cite["doc"], cite["doc"])
    return f"（依据《{title}》{cite.get('section', '')}）", cite


def training_subsidy(book: RuleEvaluator, profile: Profile, today: dt.date,
                     titles: dict[str, str] | None = None) -> SubsidyFinding:
    """The first rule that grants the worker a training subsidy ("yes" before "conditional"),
    among national rules and those of the worker's place, as the panel shows them."""
    granting = _granting(_assessments(book, _facts(profile), today))
    if not granting:
        return SubsidyFinding(None, None, None, None)
    result = granting[0]
    where, cite = _basis(result, titles)
    return SubsidyFinding(result.verdict, result.rule_id,
                          f"{_lead(profile, result.verdict)}{where}", cite)


def _lead(profile: Profile, verdict: str | None) -> str:
    """"您属于退役军人，可享受培训补贴"."""
    subject = f"您属于{'、'.join(profile.groups)}" if profile.groups else "您"
    claim = "可享受培训补贴" if verdict == "yes" else "可能享受培训补贴，需符合条件"
    return f"{subject}，{claim}"


# -- per program -------------------------------------------------------------------------

ProgramStatus = Literal["subsidised", "conditional", "undetermined", "not_subsidised",
                        "unknown"]


@dataclass(frozen=True)
class ProgramSubsidy:
    """One subsidised program's subsidy for one worker, by the rules of its region."""

    program_id: str
    status: ProgramStatus
    place: str | None  # where the program is given, the region whose rules were read
    fee_yuan: float | None
    out_of_pocket_yuan: float | None  # estimate; None when the fee is unknown
    if_granted_yuan: float | None  # what the worker would pay if the subsidy is granted
    rule_id: str | None
    reason: str  # Chinese, with the citation when a rule speaks
    citation: dict[str, Any] | None = None
    questions: tuple[str, ...] = ()  # what to ask to settle an undetermined subsidy


@dataclass(frozen=True)
class _RegionFinding:
    status: ProgramStatus
    place: str | None
    rule_id: str | None
    reason: str
    citation: dict[str, Any] | None = None
    paid_share: float = 1.0  # share of the fee the worker pays if granted
    questions: tuple[str, ...] = ()


_SELF_PAID = re.compile(r"(?:自付|个人承担|个人负担|本人承担)[^0-9]{0,6}(\d+(?:\.\d+)?)\s*[%％]")
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")


def paid_share(amount: str | None) -> float:
    """The share of the fee the worker pays when the rule grants the subsidy: the rule's
    stated share ("补贴培训费的80%" → 0.2, "个人自付20%" → 0.2), else nothing (0.0)."""
    if not amount:
        return 0.0
    own = _SELF_PAID.search(amount)
    if own:
        return min(float(own.group(1)), 100.0) / 100
    covered = _SHARE.search(amount)
    if covered:
        return 1 - min(float(covered.group(1)), 100.0) / 100
    return 0.0


def program_subsidies(book: RuleEvaluator, profile: Profile, snapshot: Snapshot,
                      today: dt.date, titles: dict[str, str] | None = None,
                      indices: Sequence[int] | None = None,
                      memo: dict[tuple[Any, ...], Any] | None = None
                      ) -> dict[str, ProgramSubsidy]:
    """Program id → its subsidy for this worker, for the ``subsidized`` programs among
    ``indices`` (all when None). The rules read are the ones in force for the program's
    region (and national ones), with the worker's groups and facts; each distinct region
    is judged once. Where the book holds no rule of the program's province nothing is
    claimed (``unknown``: 「补贴以项目所在地人社部门规定为准」). ``memo``: findings kept
    across calls by the caller (a counselor re-ranks the same worker many times; each
    region's judgement costs about 1.5 ms)."""
    worker = _facts(profile)
    said = json.dumps(worker, sort_keys=True, ensure_ascii=False, default=str)
    found: dict[tuple[str, str, str], _RegionFinding] = {}
    out: dict[str, ProgramSubsidy] = {}
    for i in range(len(snapshot)) if indices is None else indices:
        if not snapshot.subsidized[i]:
            continue
        key = (snapshot.province[i] or "", snapshot.city[i] or "", snapshot.county[i] or "")
        if key not in found:
            remembered = (said, profile.groups, key, today)
            if memo is not None and remembered in memo:
                found[key] = memo[remembered]
            else:
                found[key] = _region_finding(book, profile, worker, key, today, titles)
                if memo is not None:
                    memo[remembered] = found[key]
        out[snapshot.ids[i]] = _for_program(snapshot.ids[i], snapshot.fee[i], found[key])
    return out


def _for_program(program_id: str, fee: float, finding: _RegionFinding) -> ProgramSubsidy:
    known = fee is not None and not math.isnan(fee)
    fee_yuan = float(fee) if known else None
    granted = round(fee * finding.paid_share, 2) if known else None
    if finding.status == "subsidised":
        pays: float | None = granted
    else:
        pays = fee_yuan
    return ProgramSubsidy(
        program_id=program_id, status=finding.status, place=finding.place, fee_yuan=fee_yuan,
        out_of_pocket_yuan=pays,
        if_granted_yuan=granted if finding.status in ("subsidised", "conditional") else None,
        rule_id=finding.rule_id, reason=finding.reason, citation=finding.citation,
        questions=finding.questions)


def _region_finding(book: RuleEvaluator, profile: Profile, worker: dict[str, Any],
                    key: tuple[str, str, str], today: dt.date, titles: dict[str, str] | None
                    ) -> _RegionFinding:
    table = regions()
    place = None
    for name in key:  # province, city, county: each read inside the one above it
        if name:
            place = table.find_within(name, place) or place
    if place is None:
        return _RegionFinding("unknown", None, None, f"项目未注明所在地区；{ASK_LOCALLY}。")
    where = "".join(dict.fromkeys(r.name for r in reversed(table.lineage(place))
                                  if r.level != "national"))
    if not book.holds_rules_for(place.name, today):
        return _RegionFinding("unknown", where, None,
                              f"规则库未收录{where}的规定，无法判断能否享受补贴；{ASK_LOCALLY}。")
    facts = {k: v for k, v in worker.items() if k not in ("province", "city", "county")}
    facts.update({k: v for k, v in zip(("province", "city", "county"), key, strict=True) if v})
    try:
        items = _assessments(book, facts, today)
    except InvalidInput:  # a catalog place the rules cannot read: claim nothing
        return _RegionFinding("unknown", where, None, f"{ASK_LOCALLY}。")
    return _judge(items, profile, where, titles)


def _judge(items: list[RuleAssessment], profile: Profile, where: str,
           titles: dict[str, str] | None) -> _RegionFinding:
    granting = _granting(items)
    if granting:
        best = granting[0]
        basis, cite = _basis(best, titles)
        status: ProgramStatus = "subsidised" if best.verdict == "yes" else "conditional"
        return _RegionFinding(status, where, best.rule_id,
                              f"{_lead(profile, best.verdict)}{basis}；{ASK_LOCALLY}。",
                              cite, paid_share(best.outcome.get("amount")))
    lapsed = [i for i in items if i.status == "expired" and i.scope == "local"]
    note = (f"{lapsed[0].region}的相关规定已于 {lapsed[0].effective.get('to')} 到期，"
            "现行做法请向当地人社部门确认；") if lapsed else ""
    open_ = sorted((i for i in items if i.status == "undetermined"),
                   key=lambda i: len(i.missing_facts))
    if open_:
        asks = tuple(dict.fromkeys(q.question for i in open_ for q in i.questions))
        return _RegionFinding("undetermined", where, open_[0].rule_id,
                              f"能否享受补贴，{open_[0].reason}；{note or ASK_LOCALLY + '。'}"
                              .rstrip("；"),
                              questions=asks)
    if lapsed:
        return _RegionFinding("unknown", where, lapsed[0].rule_id, note.rstrip("；") + "。")
    return _RegionFinding("not_subsidised", where, None,
                          f"按已说明的情况，{where}的规定和全国性规定中没有适用于您的培训补贴；"
                          f"{ASK_LOCALLY}。")
