"""Logging for the CLI and the service: a file under ``$JNT_HOME/logs`` and stderr,
with ID-card and phone numbers masked before any record is written."""

from __future__ import annotations

import logging
import re
from pathlib import Path

# 18-digit resident ID (last char may be X) and mainland mobile numbers.
_ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")


def redact(text: str) -> str:
    return _PHONE.sub("[手机号已隐藏]", _ID_CARD.sub("[身份证号已隐藏]", text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def configure(home: Path, level: int = logging.INFO) -> None:
    """Idempotent: safe to call from the CLI and from each service worker."""
    root = logging.getLogger()
    if any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        return
    (home / "logs").mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.FileHandler(home / "logs" / "jnt.log", encoding="utf-8")
    file_handler.setLevel(level)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    for handler in (file_handler, stderr):
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "urllib3", "sentence_transformers", "transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
