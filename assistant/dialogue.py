"""Multi-turn conversations: the session remembers the worker's facts and the topic.

A follow-up ("那退役军人呢？", "网课也算吗？") is answered with the earlier questions as
retrieval context, so the topic and its entities carry over; a correction ("不对，我在
九江") replaces the fact and the previous question is answered again with it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import sessionmaker

from assistant.answer import Answer, Assistant, clean_question
from assistant.facts import apply_correction
from assistant.store import ChatSession, Turn, _now
from corpus.errors import NotFound

CONTEXT_TURNS = 2
_CORRECTION = re.compile(r"^\s*(不对|不是|错了|我说错了|说错了|更正|纠正|更正一下|不，|不,)")


class Conversations:
    def __init__(self, sessions: sessionmaker, assistant: Assistant) -> None:
        self.sessions = sessions
        self.assistant = assistant

    def start(self, profile: dict[str, Any] | None = None, channel: str = "cli") -> str:
        with self.sessions() as db, db.begin():
            chat = ChatSession(channel=channel, facts=dict(profile or {}))
            db.add(chat)
        return chat.id

    def say(self, session_id: str, text: str) -> Answer:
        text = clean_question(text)
        with self.sessions() as db, db.begin():
            chat = self._get(db, session_id)
            questions = [t.text for t in chat.turns if t.role == "user"]
            facts = dict(chat.facts or {})
            if questions and _CORRECTION.match(text):
                facts = apply_correction(facts, text)
                answer = self.assistant.answer(questions[-1], questions[-1 - CONTEXT_TURNS:-1],
                                               facts)
            else:
                answer = self.assistant.answer(text, questions[-CONTEXT_TURNS:], facts)
                facts = apply_correction(facts, text)  # merges lists, replaces places
            ordinal = len(chat.turns)
            db.add(Turn(session_id=chat.id, ordinal=ordinal, role="user", text=text))
            db.add(Turn(session_id=chat.id, ordinal=ordinal + 1, role="assistant",
                        text=answer.answer, answer=answer.to_dict()))
            chat.facts = facts
            chat.updated_at = _now()
        return answer

    def history(self, session_id: str) -> list[dict[str, Any]]:
        with self.sessions() as db:
            chat = self._get(db, session_id)
            return [{"id": t.id, "role": t.role, "text": t.text, "answer": t.answer,
                     "created_at": t.created_at.isoformat()} for t in chat.turns]

    @staticmethod
    def _get(db: Any, session_id: str) -> ChatSession:
        chat = db.get(ChatSession, session_id) if isinstance(session_id, str) else None
        if chat is None:
            raise NotFound("找不到这个会话，请重新开始对话。", code="session_not_found",
                           detail={"session_id": session_id})
        return chat
