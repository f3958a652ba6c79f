"""The counselor's hand-out (培训项目推荐单), assembled on the server from program ids.

Nothing the browser says about a program is used: the request names programs by id, every
printed fact is read from the catalog, and the reading for this worker (reasons, score,
subsidy) is the matcher's own (``Matcher.match``, else ``Matcher.why_not`` per program;
``Matcher.score`` once for the worker's subsidy finding). Rendering is elsewhere
(``handout_xlsx``, ``handout_html``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.cases import check_program_ids, check_worker_ref, load_case
from api.schemas import HandoutIn
from api.security import Caller
from api.users import get_user
from corpus.errors import InvalidInput
from corpus.settings import Settings
from matcher.db import Program
from matcher.ranking import MAX_K, Matcher
from matcher.subsidy import SubsidyFinding

# Extra catalog columns (kept as given on import) that say where classes are held.
ADDRESS_KEYS = ("地址", "培训地点", "上课地点", "培训地址", "详细地址", "address")
ESTIMATE_NOTE = ("“预计个人支付”为估算：可享受培训补贴时按 0 元计，其余按收费标准计；"
                 "实际补贴以当地人社部门审核为准。")
UNKNOWN = "未注明"


@dataclass(frozen=True)
class ProgramSheet:
    """One program as the hand-out prints it."""

    program_id: str
    title: str
    provider: str
    contact: str
    address: str
    timetable: str
    prerequisites: str
    subsidy: str
    fee_yuan: float | None
    out_of_pocket: float | None  # an estimate, see ESTIMATE_NOTE
    score: float | None
    reasons: list[str]
    warnings: list[str]  # why the matcher would not offer it to this worker
    is_sample: bool


@dataclass(frozen=True)
class Handout:
    worker_ref: str
    counselor: str
    job_center: str
    date: dt.date
    note: str
    programs: list[ProgramSheet]
    assumptions: list[str] = field(default_factory=list)


# -- one program -----------------------------------------------------------------------------
def address(row: Program) -> str:
    for key in ADDRESS_KEYS:
        value = (row.extra or {}).get(key)
        if value not in (None, ""):
            return str(value)
    place = "".join(p for p in (row.province, row.city, row.county) if p)
    where = f"{row.provider}（{place}）" if place else row.provider
    return f"线上培训（{where}）" if row.mode == "线上" else where


def timetable(row: Program) -> str:
    parts = [row.schedule] if row.schedule else []
    if row.start_date and row.end_date:
        parts.append(f"{row.start_date.isoformat()} 至 {row.end_date.isoformat()}")
    elif row.start_date:
        parts.append(f"{row.start_date.isoformat()} 开班")
    elif row.end_date:
        parts.append(f"{row.end_date.isoformat()} 结业")
    if row.hours:
        parts.append(f"{row.hours} 课时")
    if row.days:
        parts.append(f"{row.days} 天")
    return "；".join(parts) or "未注明，请向培训机构咨询"


def prerequisites(row: Program) -> str:
    parts = [row.prerequisite] if row.prerequisite else []
    if row.min_age is not None and row.max_age is not None:
        parts.append(f"年龄 {row.min_age}–{row.max_age} 岁")
    elif row.min_age is not None:
        parts.append(f"年龄 {row.min_age} 岁以上")
    elif row.max_age is not None:
        parts.append(f"年龄 {row.max_age} 岁以下")
    if row.target_groups:
        parts.append(f"面向{'、'.join(row.target_groups)}")
    return "；".join(parts) or "无特别要求"


def subsidy(row: Program, finding: SubsidyFinding, excluded: bool,
            judged: dict[str, Any] | None = None) -> tuple[str, float | None]:
    """The subsidy status and the worker's estimated out-of-pocket cost. ``judged``: the
    ranking's reading of this program's subsidy by the rules of its own region (the
    result's ``subsidy``); without it, the worker-level finding. 0 only when a rule grants
    this worker the subsidy outright."""
    if row.subsidized is False:
        return "非补贴性培训项目", row.fee_yuan
    if row.subsidized is None:
        return "目录未注明是否为补贴性培训", row.fee_yuan
    if judged and not excluded:
        return f"补贴性培训项目；{judged['reason']}", judged["out_of_pocket_yuan"]
    if finding.verdict == "yes" and not excluded:
        return f"补贴性培训项目；{finding.reason}", 0.0
    if finding.reason and not excluded:
        return f"补贴性培训项目；{finding.reason}", row.fee_yuan
    return "补贴性培训项目（是否能享受补贴以当地人社部门审核为准）", row.fee_yuan


def sheet(row: Program, reading: dict[str, Any], finding: SubsidyFinding) -> ProgramSheet:
    excluded = bool(reading.get("excluded"))
    result = reading.get("result") or {}
    status, pay = subsidy(row, finding, excluded, result.get("subsidy"))
    warnings = [f"不符合：{r.get('reason') or r.get('rule')}" for r in reading.get("rules") or []]
    return ProgramSheet(
        program_id=row.program_id, title=row.title, provider=row.provider,
        contact=row.contact or UNKNOWN, address=address(row), timetable=timetable(row),
        prerequisites=prerequisites(row), subsidy=status, fee_yuan=row.fee_yuan,
        out_of_pocket=pay, score=result.get("score"), reasons=list(result.get("reasons") or []),
        warnings=warnings, is_sample=row.is_sample)


# -- the whole hand-out ----------------------------------------------------------------------
def counselor_name(settings: Settings, caller: Caller) -> str:
    if caller.kind == "account":
        user = get_user(settings, int(caller.subject))
        return user.username if user else caller.subject
    return f"合作方：{caller.subject}"


def _subject(body: HandoutIn, caller: Caller, db: sessionmaker
             ) -> tuple[dict[str, Any], str, list[str]]:
    """Profile, worker reference and program ids, from the case or from the request."""
    if (body.profile is None) == (body.case_id is None):
        raise InvalidInput("请提供劳动者画像（profile）或个案编号（case_id），二者选一。",
                           code="profile_or_case")
    if body.case_id is None:
        ref = check_worker_ref(body.worker_ref) if body.worker_ref else "未建档"
        return dict(body.profile or {}), ref, list(body.program_ids or [])
    if body.worker_ref:
        raise InvalidInput("使用个案时劳动者编号取自个案，请不要另填。",
                           code="worker_ref_with_case")
    with db() as session:
        case = load_case(session, caller, body.case_id)
        ids = body.program_ids if body.program_ids is not None else case.program_ids
        return dict(case.profile or {}), case.worker_ref, list(ids or [])


def _readings(matcher: Matcher, profile: dict[str, Any], ids: list[str],
              weights: dict[str, Any] | None, today: dt.date) -> dict[str, dict[str, Any]]:
    """The matcher's reading of each program for this worker, shaped as ``why_not``'s.

    One ranking covers the programs a counselor usually picks (the top ``MAX_K``); only
    the others cost a ``why_not`` each, which ranks the whole catalog again.
    """
    top = matcher.match(profile, k=MAX_K, weight_overrides=weights, today=today)["results"]
    out = {r["program_id"]: {"excluded": False, "rules": [], "result": r}
           for r in top if r["program_id"] in ids}
    for i in ids:
        if i not in out:
            out[i] = matcher.why_not(profile, i, weight_overrides=weights, today=today)
    return out


def build(body: HandoutIn, caller: Caller, matcher: Matcher, settings: Settings,
          db: sessionmaker) -> Handout:
    profile, ref, ids = _subject(body, caller, db)
    with matcher.sessions() as session:
        ids = check_program_ids(session, ids, allow_empty=False)
        rows = {p.program_id: p for p in session.scalars(
            select(Program).where(Program.program_id.in_(ids)))}
    today = body.as_of or dt.date.today()
    scored = matcher.score(profile, body.weights, today)  # also refuses a bad profile first
    finding: SubsidyFinding = scored.extras["subsidy"]
    readings = _readings(matcher, profile, ids, body.weights, today)
    programs = [sheet(rows[i], readings[i], finding) for i in ids]
    return Handout(worker_ref=ref, counselor=counselor_name(settings, caller),
                   job_center=settings.job_center or "（未设置）", date=today,
                   note=body.note.strip(), programs=programs,
                   assumptions=list(scored.assumptions))
