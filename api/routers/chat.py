"""Worker conversations: a session is created anonymously and answered with a signed token
that only opens that session. Counselor and admin accounts may read a history."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api import idempotency
from api.chat_turns import answer_turn
from api.deps import SettingsDep, get_conversations, get_db, get_matcher
from api.error_codes import PROFILE_CODES, raises
from api.fields import IdempotencyKey
from api.missing_facts import describe
from api.schemas import (
    GuideOut,
    HistoryPageOut,
    MatchOut,
    MessageIn,
    ReplyOut,
    SessionGuideIn,
    SessionIn,
    SessionMatchIn,
    SessionOut,
    SessionProfileOut,
    WhyNotOut,
)
from api.security import (
    ACCOUNT_AUTH,
    WORKER_AUTH,
    Caller,
    Counselor,
    Forbidden,
    Unauthorized,
    identify,
    session_token,
)
from assistant.dialogue import Conversations
from assistant.store import ChatSession, Turn
from corpus.errors import InvalidInput, JntError, NotFound
from matcher.guide import guide
from matcher.ranking import Matcher

router = APIRouter(prefix="/chat", tags=["对话"])
log = logging.getLogger("jnt.api.chat")
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
DbDep = Annotated[sessionmaker, Depends(get_db)]
MatcherDep = Annotated[Matcher, Depends(get_matcher)]
PAGE, MAX_PAGE = 50, 200
_SESSION_CODES = ("session_not_found", "token_mismatch")
_IDEMPOTENCY_CODES = ("bad_idempotency_key", "idempotency_mismatch", "idempotency_in_progress")


def _not_found(session_id: str) -> NotFound:
    return NotFound("找不到这个会话，请重新开始对话。", code="session_not_found",
                    detail={"session_id": session_id})


def _authorize(caller: Caller | None, session_id: str, db: sessionmaker,
               *, accounts: bool = False) -> None:
    """401 without a valid token, 404 for a session that does not exist, 403 when the
    token belongs to another session."""
    if caller is None:
        raise Unauthorized("缺少会话凭证，请重新开始对话。", code="auth_required")
    if accounts and caller.kind == "account":
        pass
    elif caller.kind != "worker":
        raise Forbidden("这个会话只能由劳动者本人使用。")
    with db() as session:
        exists = session.get(ChatSession, session_id) is not None
    if not exists:
        raise _not_found(session_id)
    if caller.kind == "worker" and caller.subject != session_id:
        raise Forbidden("会话凭证与会话不符。", code="token_mismatch")


@router.post("/sessions", response_model=SessionOut, status_code=201,
             summary="开始对话（匿名）",
             description="创建一个匿名会话，返回会话编号和只能打开这个会话的凭证（token，放在 "
                         "Authorization: Bearer 中）。不需要任何凭证；带 Idempotency-Key 时重试"
                         "返回同一个会话（凭证重新签发）。",
             openapi_extra=raises(*_IDEMPOTENCY_CODES, *PROFILE_CODES))
def start(conversations: ConversationsDep, settings: SettingsDep, request: Request,
          response: Response, db: DbDep, body: SessionIn | None = None,
          _idempotency_key: IdempotencyKey = None) -> SessionOut:
    """A new anonymous session. With ``Idempotency-Key`` a retry returns the same session;
    only its id is stored with the key, the token is issued afresh (no token at rest)."""
    body = body or SessionIn()
    try:
        caller = identify(request, settings)
    except JntError:
        caller = None  # starting a session needs no credentials; a stale one is ignored
    created = idempotency.once(
        db, request, response, caller, body.model_dump(mode="json"),
        lambda: {"session_id": conversations.start(body.profile, channel=body.channel)})
    session_id = created["session_id"]
    return SessionOut(session_id=session_id, token=session_token(settings, session_id),
                      expires_in=settings.token_ttl_seconds)


@router.post("/sessions/{session_id}/messages", response_model=ReplyOut,
             dependencies=[WORKER_AUTH], summary="说一句话，得到回答",
             description="劳动者在自己的会话中说一句话，得到带引用和快捷回复的回答。只接受这个会话"
                         "的会话凭证。带 Idempotency-Key 时重试返回第一次的回答，不会重复提问。",
             openapi_extra=raises(*_SESSION_CODES, *_IDEMPOTENCY_CODES, "question_too_long",
                                  "index_unavailable"))
def say(session_id: str, body: MessageIn, request: Request, response: Response,
        settings: SettingsDep, conversations: ConversationsDep, db: DbDep,
        _idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """One turn. With ``Idempotency-Key`` a retried message is answered from the first
    reply, not asked (and stored) twice."""
    caller = identify(request, settings)
    _authorize(caller, session_id, db)
    return idempotency.once(db, request, response, caller, body.model_dump(mode="json"),
                            lambda: answer_turn(session_id, body.text, conversations, db))


@router.get("/sessions/{session_id}/profile", response_model=SessionProfileOut,
            summary="对话了解到的画像", description="对话中了解到的劳动者信息，供顾问工作台使用。"
            "顾问账号、管理员账号或合作方密钥。", openapi_extra=raises("session_not_found"))
def session_profile(session_id: str, caller: Counselor, db: DbDep) -> dict[str, Any]:
    """What the conversation learned about the worker, for the counselor console."""
    with db() as session:
        row = session.get(ChatSession, session_id)
    if row is None:
        raise _not_found(session_id)
    return {"session_id": session_id, "profile": dict(row.facts or {})}


@router.get("/sessions/{session_id}/messages", response_model=HistoryPageOut,
            dependencies=[WORKER_AUTH, ACCOUNT_AUTH], summary="对话历史（分页）",
            description="从最早的一条开始，一页 limit 条；把 next_cursor 作为 after 传回取下一页，"
                        "最后一页 next_cursor 为空。这个会话的会话凭证，或顾问／管理员账号。",
            openapi_extra=raises(*_SESSION_CODES, "bad_cursor"))
def history(session_id: str, request: Request, settings: SettingsDep, db: DbDep,
            after: Annotated[str | None, Query(max_length=20, description=(
                "上一页返回的 next_cursor；不传则从第一条开始"))] = None,
            limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE) -> dict[str, Any]:
    """The history a page at a time (oldest first), so a phone does not load a long chat
    at once. The cursor is the last turn's id, opaque to clients."""
    _authorize(identify(request, settings), session_id, db, accounts=True)
    if after is not None and not after.isdigit():
        raise InvalidInput("分页游标无效，请使用上一页返回的 next_cursor。", code="bad_cursor",
                           detail={"after": after})
    query = select(Turn).where(Turn.session_id == session_id)
    if after is not None:
        query = query.where(Turn.id > int(after))
    with db() as session:
        rows = list(session.scalars(query.order_by(Turn.id).limit(limit + 1)))
    page = rows[:limit]
    turns = [{"id": t.id, "role": t.role, "text": t.text, "answer": _shown(t.answer),
              "created_at": t.created_at.isoformat()} for t in page]
    more = len(rows) > limit
    return {"session_id": session_id, "turns": turns,
            "next_cursor": str(page[-1].id) if more else None}


def _shown(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored answer as the API shows answers (missing facts described)."""
    if not answer or "missing_facts" not in answer:
        return answer
    return {**answer, "missing_facts": describe(answer["missing_facts"])}


def _session_facts(db: sessionmaker, session_id: str) -> dict[str, Any]:
    with db() as session:
        row = session.get(ChatSession, session_id)
    if row is None:
        raise _not_found(session_id)
    return dict(row.facts or {})


@router.post("/sessions/{session_id}/match", response_model=MatchOut | WhyNotOut,
             dependencies=[WORKER_AUTH, ACCOUNT_AUTH], summary="按本会话的画像匹配项目",
             description="用对话了解到的画像给培训项目排序（请求体不能带 profile）；带 why_not 时"
                         "说明某个项目为什么没排上。这个会话的会话凭证，或顾问／管理员账号。",
             openapi_extra=raises(*_SESSION_CODES, *PROFILE_CODES, "bad_k",
                                  "program_not_found"))
def session_match(session_id: str, body: SessionMatchIn, request: Request,
                  settings: SettingsDep, db: DbDep, matcher: MatcherDep) -> dict[str, Any]:
    """Programs for the worker of this session, ranked on what the chat learnt. A worker's
    token opens only its own session, so a worker can never rank someone else's profile
    (and cannot send one: the body has no ``profile``)."""
    _authorize(identify(request, settings), session_id, db, accounts=True)
    profile = _session_facts(db, session_id)
    if body.why_not:
        return matcher.why_not(profile, body.why_not, k=body.k, today=body.as_of)
    return matcher.match(profile, k=body.k, today=body.as_of)


@router.post("/sessions/{session_id}/match/guide", response_model=GuideOut,
             dependencies=[WORKER_AUTH, ACCOUNT_AUTH], summary="按本会话的画像：下一个该问的问题",
             description="对这个会话的画像做引导式匹配。这个会话的会话凭证，或顾问／管理员账号。",
             openapi_extra=raises(*_SESSION_CODES, *PROFILE_CODES, "bad_k"))
def session_match_guide(session_id: str, body: SessionGuideIn, request: Request,
                        settings: SettingsDep, db: DbDep,
                        matcher: MatcherDep) -> dict[str, Any]:
    """The next question that would most change this worker's ranking (guided matching on
    the session's profile)."""
    _authorize(identify(request, settings), session_id, db, accounts=True)
    return guide(matcher, _session_facts(db, session_id), k=body.k, today=body.as_of,
                 skip=body.skip)
