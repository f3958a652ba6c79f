"""One id per request, from the client's ``X-Request-ID`` or made here, so a complaint
from the mini-program ("request 3f2a… failed") finds every log line of that request.

The id lives in a context variable set by an outermost ASGI middleware: the endpoint, its
thread-pool work and every other middleware run inside that context, so a logging filter
can stamp each record without anyone passing the id along. A client's id is kept only if
it is short and plain (≤ 64 of ``A-Za-z0-9._-``); anything else could forge or break log
lines, so it is replaced by a fresh one.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[str] = ContextVar("jnt_request_id", default="-")


def current() -> str:
    """The id of the request being handled, ``-`` outside a request."""
    return _current.get()


def accept(presented: str | None) -> str:
    """The client's id when valid, else a new one."""
    if presented is not None and _VALID.fullmatch(presented):
        return presented
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the id for the request's context and returns it on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER.lower().encode("latin-1"))
        request_id = accept(raw.decode("latin-1") if raw is not None else None)
        token = _current.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Reset only after a normal end: an unexpected error is logged by the handler
        # outside this middleware, and that line must still carry the id.
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute (``-`` outside a request) for the
    log format's ``%(request_id)s``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
