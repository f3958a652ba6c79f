"""Errors users can see: a machine-readable ``code`` and a Chinese ``message``.

Every layer raises these (or subclasses) for bad input, so the CLI and the API can
turn them into one error shape without ever showing a stack trace.
"""

from __future__ import annotations

from typing import Any


class JntError(Exception):
    """A failure the user can act on. ``message`` is Chinese and shown as is."""

    code: str = "error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class InvalidInput(JntError):
    code = "invalid_input"


class IngestError(JntError):
    """A file that cannot become a document: unsupported, undecodable, empty, …"""

    code = "ingest_failed"


class NotFound(JntError):
    code = "not_found"
    status = 404


class IndexUnavailable(JntError):
    code = "index_unavailable"
    status = 503
