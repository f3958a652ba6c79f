"""``Idempotency-Key`` on POSTs that create something (chat session, chat message,
feedback, case): a mini-program on a flaky network retries, and the retry must not make a
second session, ask the question twice or file the feedback twice.

The same key from the same caller within 24 hours returns the first response and creates
nothing; the same key with another body (or on another endpoint) is refused with 409
``idempotency_mismatch``. Keys live in the database (``idempotency_keys``), so every
service process sees them. A key is claimed (a row without a response) before the work
runs, so two concurrent retries cannot both create: the second gets 409
``idempotency_in_progress``. When the work fails, the claim is dropped, so nothing
half-written stays and the client may retry with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from api.models import IdempotencyKey, utc_now
from api.security import Caller
from corpus.errors import InvalidInput, JntError

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
T = TypeVar("T")


class IdempotencyConflict(JntError):
    code = "idempotency_mismatch"
    status = 409


def caller_ref(caller: Caller | None, request: Request) -> str:
    """Whose keys these are: a key is only ever matched against the same caller's."""
    if caller is None:
        return f"anon:{request.client.host if request.client else 'unknown'}"
    return f"{caller.kind}:{caller.subject}"


def request_hash(request: Request, payload: Any) -> str:
    """The endpoint and the parsed body (so spacing and key order do not matter)."""
    data = {"method": request.method, "path": request.url.path,
            "body": jsonable_encoder(payload)}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def once(db: sessionmaker, request: Request, response: Response, caller: Caller | None,
         payload: Any, create: Callable[[], T], status: int = 201) -> T | Any:
    """``create()``'s result, or the stored result of the first request with this key."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    if not _VALID.fullmatch(key):
        raise InvalidInput("Idempotency-Key 格式不正确：最多 128 个字母、数字或 . _ : -。",
                           code="bad_idempotency_key")
    who, digest = caller_ref(caller, request), request_hash(request, payload)
    stored = _claim(db, who, key, digest)
    if stored is not None:
        response.headers[REPLAYED] = "true"
        return stored
    try:
        result = create()
    except BaseException:
        _release(db, who, key)
        raise
    _finish(db, who, key, status, jsonable_encoder(result))
    return result


def _claim(db: sessionmaker, who: str, key: str, digest: str) -> Any | None:
    """The stored response of a finished first request, or ``None`` after claiming the
    key for this one."""
    now = utc_now()
    with db() as session:
        with session.begin():
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - TTL))
            row = session.get(IdempotencyKey, (who, key))
            if row is not None:
                _check(row, digest)
                return row.response
        try:
            with session.begin():
                session.add(IdempotencyKey(caller=who, key=key, request_hash=digest,
                                           created_at=now))
        except IntegrityError:  # a concurrent request claimed it first
            with session.begin():
                row = session.get(IdempotencyKey, (who, key))
                if row is None:
                    raise _busy() from None
                _check(row, digest)
                return row.response
    return None


def _check(row: IdempotencyKey, digest: str) -> None:
    if row.request_hash != digest:
        raise IdempotencyConflict(
            "这个 Idempotency-Key 已用于另一个请求，请为新请求换一个新的键。",
            detail={"header": HEADER})
    if row.status is None:
        raise _busy()


def _busy() -> IdempotencyConflict:
    return IdempotencyConflict("同一个请求正在处理中，请稍后再试。",
                               code="idempotency_in_progress", detail={"header": HEADER})


def _finish(db: sessionmaker, who: str, key: str, status: int, body: Any) -> None:
    with db() as session, session.begin():
        row = session.get(IdempotencyKey, (who, key))
        if row is not None:
            row.status, row.response = status, body


def _release(db: sessionmaker, who: str, key: str) -> None:
    with db() as session, session.begin():
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.caller == who,
                                                     IdempotencyKey.key == key))
