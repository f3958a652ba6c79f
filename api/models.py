"""Service tables: counselor/admin accounts, background jobs and counselors' cases.

They live on ``corpus.db.Base`` so ``get_engine`` creates them with the rest; import this
module before the engine is first built (``api.deps`` does). Jobs are rows, not only
threads, so any process sharing the database can report a job's progress.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

import assistant.store  # noqa: F401  (chat_sessions, which a case may point to)
from corpus.db import Base

ROLES = ("counselor", "admin")
JOB_STATES = ("queued", "running", "done", "failed")
CASE_OUTCOMES = ("未定", "已推荐", "已报名", "放弃", "已就业")


def utc_now() -> dt.datetime:
    """Naive UTC, as every timestamp column of the service stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    # "scrypt$n$r$p$salt_hex$hash_hex": parameters travel with the hash so they can grow.
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    # Part of every account token; raised on a new password, role, disabling or logout, so
    # every token issued before no longer matches (tokens are otherwise stateless).
    # Server defaults only, so an INSERT that does not name them still works.
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # Wrong passwords since failed_since; at the limit the account is locked until
    # locked_until (api/users.py). Rows, not memory, so every process and the CLI agree.
    failed_logins: Mapped[int] = mapped_column(Integer, server_default="0")
    failed_since: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True,
                                    default=lambda: uuid.uuid4().hex)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    # The lease (api/jobs.py): the process running the job renews ``lease_expires_at``
    # on a heartbeat; once it lapses any node marks the job failed (its process died).
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True,
                                                                 index=True)
    # The job's own files (an upload folder), removed with it or by the start-up sweep.
    workdir: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # The job as data (api/job_kinds.py): any node can run it from its kind and params.
    # ``attempts`` counts the times a node started it; ``deadline_at`` ends the current run.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, server_default="2", default=2)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class JobPayload(Base):
    """A job's input files (a tar of the upload), apart from ``jobs`` so a poll never
    loads them; deleted when the job ends."""

    __tablename__ = "job_payloads"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RateBucket(Base):
    """A token bucket shared by every node (api/rate_store.py); ``allowed`` is whether the
    last draw got a token. Rows idle for minutes are full again and get deleted."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    allowed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class WechatBinding(Base):
    """A WeChat user's conversation. Only an HMAC of the openid (keyed with the service
    secret) is stored, so the table alone cannot tell who anyone is."""

    __tablename__ = "wechat_bindings"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class Case(Base):
    """A counselor's case: one worker, known here only by a pseudonymous reference
    (``C-2026-000123``), never by name, ID-card or phone number."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_ref: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default=CASE_OUTCOMES[0])
    program_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The chat it was handed over from (one case per chat); the case outlives the chat.
    chat_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="SET NULL"), nullable=True, unique=True,
        index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class IdempotencyKey(Base):
    """A creating POST's ``Idempotency-Key``, per caller, with the first response: a retry
    (the mini-program's network dropped the reply) gets that response instead of a second
    session, message, feedback or case. ``status`` is NULL while the first request runs."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, index=True)
