"""One writer per home: ingests, removals and re-indexes take turns.

Two ``jnt ingest`` runs on one home used to race for SQLite's write lock, and the loser
surfaced as ``internal (OperationalError)`` after the busy timeout. Now every writer takes
an exclusive ``fcntl`` lock on ``$JNT_HOME/.write.lock`` first (as ``corpus.embedder``
does for the model cache): the second waits its turn, and past ``write_lock_wait_seconds``
it gives up with code ``busy`` and a Chinese message. The kernel drops the lock when the
holder dies, so a killed ingest never leaves the home locked.

A file lock serializes the writers of one home only. Nodes with homes of their own on one
PostgreSQL database also take a session-level advisory lock (``pg_try_advisory_lock``) on
a dedicated connection, held for the whole write; the server drops it when that
connection dies. Its key is derived from the schema, so every node on the same tables
meets the same lock whatever host name it uses. SQLite is one home's file: the file lock
is enough.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

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
        _wait_for(lambda: _try_lock(fh.fileno()), deadline, wait)
        try:
            if settings.db_url.startswith("postgresql"):
                with _advisory_lock(settings.db_url, deadline, wait):
                    yield
            else:
                yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _wait_for(attempt: Callable[[], bool], deadline: float, wait: float) -> None:
    while not attempt():
        if time.monotonic() >= deadline:
            raise Busy("另一个导入、删除或重建索引的任务正在进行，请等它完成后再试。",
                       detail={"waited_seconds": wait})
        time.sleep(POLL_SECONDS)


@contextmanager
def _advisory_lock(url: str, deadline: float, wait: float) -> Iterator[None]:
    """The database-wide writer lock, on a connection of its own (not the pool's: the lock
    belongs to the connection, and the write transactions come and go meanwhile)."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            key = _advisory_key(conn)
            _wait_for(lambda: bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"),
                                               {"k": key})), deadline, wait)
            try:
                yield
            finally:
                with suppress(SQLAlchemyError):  # a dead connection has dropped it already
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


def _advisory_key(conn: Connection) -> int:
    """A signed 64-bit key for this database's writers of these tables."""
    schema = conn.scalar(text("SELECT current_schema()")) or ""
    digest = hashlib.sha256(f"jnt.write_lock:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
