"""One writer per home: ingests, removals and re-indexes take turns.

Two ``jnt ingest`` runs on one home used to race for SQLite's write lock, and the loser
surfaced as ``internal (OperationalError)`` after the busy timeout. Now every writer takes
an exclusive ``fcntl`` lock on ``$JNT_HOME/.write.lock`` first (as ``corpus.embedder``
does for the model cache): the second waits its turn, and past ``write_lock_wait_seconds``
it gives up with code ``busy`` and a Chinese message. The kernel drops the lock when the
holder dies, so a killed ingest never leaves the home locked.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from corpus.errors import JntError
from corpus.settings import Settings

LOCK_NAME = ".write.lock"
POLL_SECONDS = 0.2


class Busy(JntError):
    """Another ingest, removal or re-index holds the home; try again later."""

    code = "busy"
    status = 409


def lock_path(settings: Settings) -> Path:
    return settings.ensure_home() / LOCK_NAME


@contextmanager
def write_lock(settings: Settings, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the home's write lock, waiting up to ``wait_seconds`` (default: settings)."""
    wait = settings.write_lock_wait_seconds if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + max(wait, 0.0)
    with lock_path(settings).open("a") as fh:
        while not _try_lock(fh.fileno()):
            if time.monotonic() >= deadline:
                raise Busy("另一个导入、删除或重建索引的任务正在进行，请等它完成后再试。",
                           detail={"waited_seconds": wait})
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
