"""Counselors' case records: create, list, read, change, and hand over from a chat.

A case names its worker only by a pseudonymous reference (``C-2026-000123``): references
that look like an ID-card or phone number are refused, and a profile loses its identity
fields (name, ID, phone) and has such numbers masked before it is stored. A counselor
sees only their own cases; an admin sees all. Another counselor's case answers 404, as if
it did not exist, so ids cannot be probed. Every write is one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.logs import redact
from api.models import Case, User, utc_now
from api.security import Caller, Forbidden
from api.users import user_sessions
from assistant.store import ChatSession
from corpus.domain.profile import parse_profile
from corpus.errors import InvalidInput, JntError, NotFound
from corpus.settings import Settings
from matcher.db import Program

MAX_SHORTLIST = 20
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,39}")
# Keys that would name the worker; a profile never needs them to match or to advise.
IDENTITY_KEYS = frozenset(("name", "id", "姓名", "名字", "id_card", "idcard", "身份证",
                           "身份证号", "身份证号码", "phone", "mobile", "tel", "telephone",
                           "电话", "手机", "手机号", "手机号码", "联系电话", "wechat", "微信"))


class Conflict(JntError):
    code = "conflict"
    status = 409


def case_sessions(settings: Settings) -> sessionmaker:
    """Sessions on a database that has the case table (and the tables it points to)."""
    return user_sessions(settings, ChatSession.__table__, Case.__table__)


# -- who and what may be stored ------------------------------------------------------------
def owner_id(caller: Caller) -> int:
    """Cases belong to accounts; a partner's API key speaks for no counselor."""
    if caller.kind != "account":
        raise Forbidden("个案只能由登录的就业指导员管理。", code="account_required")
    return int(caller.subject)


def looks_personal(text: str) -> bool:
    """An ID-card or mobile number, also when split by hyphens or spaces."""
    joined = re.sub(r"[\s-]", "", text)
    return redact(text) != text or redact(joined) != joined


def check_worker_ref(ref: str) -> str:
    ref = ref.strip()
    if looks_personal(ref):
        raise InvalidInput("劳动者编号不能使用身份证号或手机号，请留空自动生成。",
                           code="personal_worker_ref")
    if not _REF.fullmatch(ref):
        raise InvalidInput("劳动者编号只能由字母、数字和“-”组成（3–40 个字符），"
                           "不要填写姓名；留空则自动生成。", code="bad_worker_ref")
    return ref


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def clean_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as stored: checked the way the matcher reads it (bad values refused in
    Chinese), without identity fields, ID-card and phone numbers masked."""
    kept = {k: v for k, v in profile.items() if str(k).strip().lower() not in IDENTITY_KEYS}
    parse_profile(kept)
    return _masked(kept)


def check_program_ids(session: Session, ids: Iterable[str], *, allow_empty: bool) -> list[str]:
    """Distinct ids in the order given, each in the catalog; more than 20 is refused."""
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted and not allow_empty:
        raise InvalidInput("请至少选择一个培训项目。", code="no_programs")
    if len(wanted) > MAX_SHORTLIST:
        raise InvalidInput(f"最多选择 {MAX_SHORTLIST} 个培训项目（收到 {len(wanted)} 个）。",
                           code="too_many_programs",
                           detail={"limit": MAX_SHORTLIST, "count": len(wanted)})
    found = set(session.scalars(select(Program.program_id)
                                .where(Program.program_id.in_(wanted)))) if wanted else set()
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"目录中没有编号为“{'、'.join(missing)}”的项目。",
                       code="program_not_found", detail={"program_ids": missing})
    return wanted


# -- reading -------------------------------------------------------------------------------
def _not_found(case_id: int) -> NotFound:
    return NotFound("找不到这个个案。", code="case_not_found", detail={"case_id": case_id})


def load_case(session: Session, caller: Caller, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or (caller.role != "admin" and case.counselor_id != owner_id(caller)):
        raise _not_found(case_id)
    return case


def to_dict(case: Case, counselor: str) -> dict[str, Any]:
    return {"id": case.id, "worker_ref": case.worker_ref, "profile": dict(case.profile or {}),
            "notes": case.notes or "", "follow_up": case.follow_up.isoformat()
            if case.follow_up else None, "outcome": case.outcome,
            "program_ids": list(case.program_ids or []), "counselor": counselor,
            "chat_session_id": case.chat_session_id,
            "created_at": case.created_at.isoformat(), "updated_at": case.updated_at.isoformat()}


def _out(session: Session, case: Case) -> dict[str, Any]:
    username = session.scalar(select(User.username).where(User.id == case.counselor_id))
    return to_dict(case, username or "")


def get_case(db: sessionmaker, caller: Caller, case_id: int) -> dict[str, Any]:
    with db() as session:
        return _out(session, load_case(session, caller, case_id))


def list_cases(db: sessionmaker, caller: Caller, limit: int, offset: int,
               after: str | None = None) -> dict[str, Any]:
    """Newest first; a counselor's own, or every case for an admin. ``after`` is the last
    case id of the previous page (``next_cursor``): the page goes on strictly below it in
    the (created_at, id) order, so cases added meanwhile do not shift it."""
    query = select(Case, User.username).join(User, User.id == Case.counselor_id)
    count = select(func.count()).select_from(Case)
    if caller.role != "admin":
        mine = owner_id(caller)
        query, count = query.where(Case.counselor_id == mine), count.where(
            Case.counselor_id == mine)
    with db() as session:
        total = session.scalar(count) or 0
        if after is not None:
            mark = session.get(Case, int(after)) if after.isdigit() and len(after) < 10 else None
            if mark is None or (caller.role != "admin" and mark.counselor_id != mine):
                raise InvalidInput("分页游标无效，请使用上一页返回的 next_cursor。",
                                   code="bad_cursor", detail={"after": after})
            query = query.where(or_(Case.created_at < mark.created_at, and_(
                Case.created_at == mark.created_at, Case.id < mark.id)))
        rows = list(session.execute(query.order_by(Case.created_at.desc(), Case.id.desc())
                                    .limit(limit + 1).offset(offset)))
        page = rows[:limit]
        return {"total": total, "cases": [to_dict(case, name) for case, name in page],
                "next_cursor": str(page[-1][0].id) if len(rows) > limit else None}


# -- writing -------------------------------------------------------------------------------
def _insert(session: Session, case: Case, ref: str | None) -> None:
    """Add the case; without a reference it gets ``C-<year>-<id>`` in the same transaction
    (a unique placeholder holds the column until the id is known)."""
    case.worker_ref = ref or f"tmp-{uuid.uuid4().hex}"
    session.add(case)
    session.flush()
    if ref is None:
        case.worker_ref = f"C-{case.created_at.year}-{case.id:06d}"
        session.flush()


def create_case(db: sessionmaker, caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    owner = owner_id(caller)
    ref = check_worker_ref(data["worker_ref"]) if data.get("worker_ref") else None
    profile = clean_profile(data.get("profile") or {})
    now = utc_now()
    try:
        with db() as session, session.begin():
            if ref and session.scalar(select(Case.id).where(Case.worker_ref == ref)):
                raise Conflict("这个劳动者编号已被使用。", code="worker_ref_taken")
            ids = check_program_ids(session, data.get("program_ids") or [], allow_empty=True)
            case = Case(counselor_id=owner, profile=profile, notes=data.get("notes") or "",
                        follow_up=data.get("follow_up"), outcome=data.get("outcome") or "未定",
                        program_ids=ids, created_at=now, updated_at=now)
            _insert(session, case, ref)
            return _out(session, case)
    except IntegrityError:  # a concurrent request took the same reference
        raise Conflict("这个劳动者编号已被使用。", code="worker_ref_taken") from None


_NOT_NULL = {"profile": "画像", "notes": "备注", "outcome": "结果", "program_ids": "候选项目"}


def update_case(db: sessionmaker, caller: Caller, case_id: int,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Change only the fields given; everything is checked before anything is written."""
    for key, label in _NOT_NULL.items():
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{label}不能为空。", code="null_field", detail={"field": key})
    with db() as session, session.begin():
        case = load_case(session, caller, case_id)
        if "profile" in changes:
            changes["profile"] = clean_profile(changes["profile"])
        if "program_ids" in changes:
            changes["program_ids"] = check_program_ids(session, changes["program_ids"],
                                                       allow_empty=True)
        for key, value in changes.items():
            setattr(case, key, value)
        if changes:
            case.updated_at = utc_now()
        session.flush()
        return _out(session, case)


def hand_over(db: sessionmaker, caller: Caller, session_id: str, notes: str,
              follow_up: dt.date | None) -> dict[str, Any]:
    """A case from what a worker's chat learnt (the session's stored facts); one per chat."""
    owner = owner_id(caller)
    now = utc_now()
    try:
        with db() as session, session.begin():
            chat = session.get(ChatSession, session_id)
            if chat is None:
                raise NotFound("找不到这个会话。", code="session_not_found",
                               detail={"session_id": session_id})
            taken = session.scalar(select(Case).where(Case.chat_session_id == session_id))
            if taken is not None:
                mine = caller.role == "admin" or taken.counselor_id == owner
                raise Conflict("这个会话已经转为个案。", code="already_handed_over",
                               detail={"case_id": taken.id} if mine else None)
            case = Case(counselor_id=owner, profile=clean_profile(dict(chat.facts or {})),
                        notes=notes, follow_up=follow_up, outcome="未定", program_ids=[],
                        chat_session_id=session_id, created_at=now, updated_at=now)
            _insert(session, case, None)
            return _out(session, case)
    except IntegrityError:  # handed over by a concurrent request
        raise Conflict("这个会话已经转为个案。", code="already_handed_over") from None
