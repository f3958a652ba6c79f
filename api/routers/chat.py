"""Worker conversations: a session is created anonymously and answered with a signed token
that only opens that session. Counselor and admin accounts may read a history."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_conversations, get_db
from api.logs import redact
from api.schemas import (
    HistoryOut,
    MessageIn,
    ReplyOut,
    SessionIn,
    SessionOut,
    SessionProfileOut,
)
from api.security import Caller, Counselor, Forbidden, Unauthorized, identify, session_token
from assistant.dialogue import Conversations
from assistant.store import ChatSession, Turn
from corpus.errors import NotFound

router = APIRouter(prefix="/chat", tags=["对话"])
log = logging.getLogger("jnt.api.chat")
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
DbDep = Annotated[sessionmaker, Depends(get_db)]


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


@router.post("/sessions", response_model=SessionOut, status_code=201)
def start(conversations: ConversationsDep, settings: SettingsDep,
          body: SessionIn | None = None) -> SessionOut:
    body = body or SessionIn()
    session_id = conversations.start(body.profile, channel=body.channel)
    return SessionOut(session_id=session_id, token=session_token(settings, session_id),
                      expires_in=settings.token_ttl_seconds)


@router.post("/sessions/{session_id}/messages", response_model=ReplyOut)
def say(session_id: str, body: MessageIn, request: Request, settings: SettingsDep,
        conversations: ConversationsDep, db: DbDep) -> dict[str, Any]:
    _authorize(identify(request, settings), session_id, db)
    log.info("chat %s: %s", session_id, redact(body.text[:200]))
    answer = conversations.say(session_id, body.text)
    with db() as session:
        turn_id = session.scalar(
            select(Turn.id).where(Turn.session_id == session_id, Turn.role == "assistant")
            .order_by(Turn.ordinal.desc()).limit(1))
    reply = answer.to_dict()
    return {**reply, "turn_id": turn_id, "quick_replies": quick_replies(reply)}


def quick_replies(reply: dict[str, Any]) -> list[str]:
    """Chips for the follow-up question, as the assistant chose them (already in the
    reply's script)."""
    return list(reply.get("quick_replies") or []) if reply.get("follow_up") else []


@router.get("/sessions/{session_id}/profile", response_model=SessionProfileOut)
def session_profile(session_id: str, caller: Counselor, db: DbDep) -> dict[str, Any]:
    """What the conversation learned about the worker, for the counselor console."""
    with db() as session:
        row = session.get(ChatSession, session_id)
    if row is None:
        raise _not_found(session_id)
    return {"session_id": session_id, "profile": dict(row.facts or {})}


@router.get("/sessions/{session_id}/messages", response_model=HistoryOut)
def history(session_id: str, request: Request, settings: SettingsDep,
            conversations: ConversationsDep, db: DbDep) -> dict[str, Any]:
    _authorize(identify(request, settings), session_id, db, accounts=True)
    return {"session_id": session_id, "turns": conversations.history(session_id)}
