"""Logging for the CLI and the service: a file under ``$JNT_HOME/logs`` (0600, rotated by
size) and stderr, with ID-card, phone, bank-card numbers and e-mail addresses masked before
any record is written, however they are spaced or dashed, and with control characters in
the message escaped, so text a user typed (a chat line, a user name) can never start a
log line of its own."""

from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

from api.request_id import RequestIdFilter

# Digits may be grouped with single spaces or dashes ("138 1234 5678", "110101-19900101-1234").
_SEP = r"[ \-]?"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 18-character resident ID (last may be X), before cards: it is also 18 digits long.
_ID_CARD = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?![\dXx])")
# Bank cards: 16–19 digits.
_BANK_CARD = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{15,18}}(?!\d)")
# Mainland mobile numbers, with or without +86 / 0086.
_PHONE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?!\d)")
_MASKS = ((_EMAIL, "[邮箱已隐藏]"), (_ID_CARD, "[身份证号已隐藏]"),
          (_BANK_CARD, "[银行卡号已隐藏]"), (_PHONE, "[手机号已隐藏]"))
# C0/C1 controls and the Unicode line/paragraph separators some log viewers break on.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def redact(text: str) -> str:
    """Mask personal numbers and addresses (e-mails first: one may hold a phone number)."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


def escape_controls(text: str) -> str:
    r"""CR, LF and every other control character as a visible escape (``\n``, ``\x1b``)."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = escape_controls(redact(message))
        if clean != message:
            record.msg, record.args = clean, None
        return True


class RedactingFormatter(logging.Formatter):
    """Also masks what the filter cannot reach (a traceback's text) and indents every
    continuation line, so even an exception message cannot pass for a record of its own."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\n    ")


class PrivateRotatingFileHandler(RotatingFileHandler):
    """Rotates by size; opens (and so creates, also after a rollover) the file 0600 itself,
    because a log holds what users asked and must not be readable by other local users."""

    def _open(self) -> IO[Any]:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # a file made before this handler existed
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def configure(home: Path, level: int = logging.INFO, *, max_bytes: int = 10_000_000,
              backup_count: int = 5) -> None:
    """Idempotent: safe to call from the CLI and from each service worker. ``max_bytes`` and
    ``backup_count`` come from ``JNT_LOG_MAX_BYTES`` / ``JNT_LOG_BACKUP_COUNT``. Rotation is
    per process: several workers on one home should log to stderr under a supervisor."""
    root = logging.getLogger()
    if any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        return
    (home / "logs").mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "logs").chmod(0o700)
    fmt = RedactingFormatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
    file_handler = PrivateRotatingFileHandler(home / "logs" / "jnt.log", encoding="utf-8",
                                              maxBytes=max_bytes, backupCount=backup_count)
    file_handler.setLevel(level)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    for handler in (file_handler, stderr):
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        handler.addFilter(RequestIdFilter())  # %(request_id)s above
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "urllib3", "sentence_transformers", "transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
