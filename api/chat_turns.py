"""One chat turn as both message endpoints make it: ``POST …/messages`` answers it as
JSON, ``POST …/messages/stream`` streams it (api/routers/chat_stream.py). One function
makes the reply for both, so a streamed ``done`` is the reply the JSON endpoint gives."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.logs import redact
from api.schemas import ReplyOut
from assistant.dialogue import Conversations
from assistant.store import Turn
from assistant.streaming import Opening

log = logging.getLogger("jnt.api.chat")


def answer_turn(session_id: str, text: str, conversations: Conversations, db: sessionmaker,
                opening: Opening | None = None) -> dict[str, Any]:
    """The worker's message answered and stored; the reply as the API returns it (before
    response-model filtering). ``opening`` hears the reply's first line early."""
    log.info("chat %s: %s", session_id, redact(text[:200]))
    answer = conversations.say(session_id, text, opening=opening)
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


def shown(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply as the JSON endpoint's response model writes it (a stored idempotent
    reply included): what the stream's ``done`` event carries."""
    return ReplyOut.model_validate(reply).model_dump(mode="json")
