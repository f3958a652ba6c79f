"""Can this worker get a training subsidy? Asked of the assistant's rule engine, so the
matcher's "您属于退役军人，可享受培训补贴" is the verdict of a cited rule, never a guess.

The rules consulted are the ones whose outcome is a training subsidy for a worker
(listed below by id; ``tests/test_matcher.py`` checks they exist). The worker is taken to
be enrolling in training (that is why they are matching) and, unless retired, to want work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import yaml

from corpus.domain.profile import Profile
from corpus.errors import InvalidInput
from corpus.library import SHIPPED

TRAINING_SUBSIDY_RULES = (
    "vet_training_subsidy", "epl_unemployed_training_subsidy", "ui_training_subsidy",
    "hn_training_subsidy", "jx_trainee_subsidies", "jx_graduating_students_subsidy",
    "sd_disabled_training_subsidy", "gf_insured_staff_skill_upgrade",
)
RETIREMENT_AGE = 60



class RuleOutcome(Protocol):
    rule_id: str
    status: str
    verdict: str | None
    citations: list[dict[str, Any]]


class RuleEvaluator(Protocol):
    """The part of the assistant's rule book the matcher uses; the service wires the real
    one in (``api/matching.py``), so the matcher does not depend on the assistant."""

    def evaluate(self, rule_id: str, facts: dict[str, Any] | None,
                 as_of: dt.date | None = None) -> Any: ...  # pragma: no cover


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


def training_subsidy(book: RuleEvaluator, profile: Profile, today: dt.date,
                     titles: dict[str, str] | None = None) -> SubsidyFinding:
    """The first rule that grants the worker a training subsidy ("yes" before "conditional")."""
    facts = _facts(profile)
    best: tuple[int, RuleOutcome] | None = None
    for rule_id in TRAINING_SUBSIDY_RULES:
        try:
            result = book.evaluate(rule_id, facts, today)
        except InvalidInput:
            continue
        if result.status != "applies" or result.verdict not in ("yes", "conditional"):
            continue
        order = 0 if result.verdict == "yes" else 1
        if best is None or order < best[0]:
            best = (order, result)
    if best is None:
        return SubsidyFinding(None, None, None, None)
    result = best[1]
    cite = result.citations[0] if result.citations else None  # the rule's own reference
    who = "、".join(profile.groups) if profile.groups else "您"
    title = ({**shipped_titles(), **(titles or {})}.get(cite["doc"], cite["doc"])
             if cite else "")
    where = f"（依据《{title}》{cite.get('section', '')}）" if cite else ""
    lead = "可享受培训补贴" if result.verdict == "yes" else "可能享受培训补贴，需符合条件"
    subject = f"您属于{who}" if profile.groups else "您"
    return SubsidyFinding(result.verdict, result.rule_id,
                          f"{subject}，{lead}{where}", cite)
