"""Conversations kept in the database so they survive a restart: sessions with the
facts learnt so far, their turns (with the full answer object), and feedback."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, sessionmaker

from corpus.db import Base, get_engine


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True,
                                    default=lambda: uuid.uuid4().hex)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    channel: Mapped[str] = mapped_column(String(20), default="cli")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    turns: Mapped[list[Turn]] = relationship(back_populates="session",
                                             cascade="all, delete-orphan", order_by="Turn.ordinal")


class Turn(Base):
    __tablename__ = "chat_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"),
                                            index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(10))  # "user" | "assistant"
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    session: Mapped[ChatSession] = relationship(back_populates="turns")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("chat_turns.id", ondelete="CASCADE"),
                                         index=True)
    rating: Mapped[int] = mapped_column(Integer)  # +1 / -1
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


def chat_sessions(url: str) -> sessionmaker:
    engine = get_engine(url)
    Base.metadata.create_all(engine, tables=[ChatSession.__table__, Turn.__table__,
                                             Feedback.__table__])
    return sessionmaker(engine, expire_on_commit=False)
