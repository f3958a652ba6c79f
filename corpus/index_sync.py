"""Index builds shared through the database, so every node serves the same build.

A build is written once, by the node that ingested, into its own home; nodes with homes of
their own on one (PostgreSQL) database would otherwise each keep their old index until
they rebuilt it themselves. So when ``Settings.shares_index`` is on (by default whenever
the database is not SQLite), every publish also stores the build in ``index_builds`` (a
tar.gz of the folder and a digest of its files), in the same transaction as the rows it
was built from; the row with the highest ``seq`` is current.

Every node runs ``IndexSync``: a thread that every ``index_sync_seconds`` compares the
database's current build with its own ``CURRENT`` and, when they differ, downloads the
archive, checks the digest, unpacks it into ``builds/`` and publishes it (atomically, as a
local build). Searchers follow ``CURRENT`` on their next query. A new, empty home on such
a database fetches the shared build instead of embedding the corpus again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tarfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from corpus.db import IndexBuild, session_factory
from corpus.errors import JntError
from corpus.index import IndexStore
from corpus.settings import Settings

log = logging.getLogger(__name__)
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


class BuildRefused(JntError):
    """A shared build that does not match its digest (or is not a build at all)."""

    code = "index_build_corrupt"
    status = 500


@dataclass(frozen=True)
class SharedBuild:
    name: str
    digest: str
    archive: bytes


def build_digest(folder: Path) -> str:
    """sha256 over every file's name and sha256: any changed, added or lost file shows."""
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.iterdir()) if p.is_file()}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def pack(folder: Path) -> SharedBuild:
    """The build as stored in the database; made before the write transaction opens."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                tar.add(path, arcname=path.name, recursive=False)
    return SharedBuild(folder.name, build_digest(folder), buffer.getvalue())


def store(session: Session, build: SharedBuild, keep: int) -> None:
    """Make ``build`` the current shared one, in the caller's transaction (the one that
    writes the rows it was built from), and drop all but the newest ``keep``."""
    seq = (session.scalar(select(func.max(IndexBuild.seq))) or 0) + 1
    session.add(IndexBuild(name=build.name, seq=seq, manifest_sha256=build.digest,
                           archive=build.archive,
                           created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    session.flush()
    session.execute(delete(IndexBuild).where(IndexBuild.seq <= seq - max(keep, 1)))


def current_name(session: Session) -> str | None:
    return session.scalar(select(IndexBuild.name).order_by(IndexBuild.seq.desc()).limit(1))


def fetch(sessions: sessionmaker, index: IndexStore, name: str) -> Path | None:
    """The shared build ``name`` as a complete folder under ``builds/`` (downloaded and
    checked unless already there), not yet published; ``None`` if no such row."""
    folder = index.builds / name
    if (folder / "manifest.json").exists():
        return folder
    with sessions() as session:
        row = session.execute(select(IndexBuild.archive, IndexBuild.manifest_sha256)
                              .where(IndexBuild.name == name)).first()
    if row is None:
        return None
    return unpack(index, name, row.archive, row.manifest_sha256)


def unpack(index: IndexStore, name: str, archive: bytes, digest: str) -> Path:
    """Unpack into a temporary folder, check the digest, then move it into place."""
    if not _FILE_NAME.fullmatch(name) or name.startswith("."):
        raise BuildRefused("共享索引的名称不合法，已拒绝。", detail={"build": name})
    index.builds.mkdir(parents=True, exist_ok=True)
    tmp = index.builds / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    tmp.mkdir()
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or not _FILE_NAME.fullmatch(member.name):
                    raise BuildRefused("共享索引包含不合法的文件，已拒绝。",
                                       detail={"build": name, "member": member.name})
                source = tar.extractfile(member)
                assert source is not None
                (tmp / member.name).write_bytes(source.read())
        if build_digest(tmp) != digest or not (tmp / "manifest.json").exists():
            raise BuildRefused("共享索引的校验值不符，已拒绝，未发布。",
                               detail={"build": name})
        final = index.builds / name
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "manifest.json").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another worker of this home was first
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fetch_current(settings: Settings, index: IndexStore | None = None) -> str | None:
    """Publish the database's current build locally if it is not already; returns the
    name published, or ``None`` when there was nothing to do (or nothing shared)."""
    if not settings.shares_index:
        return None
    index = index or IndexStore(settings.index_dir)
    sessions = session_factory(settings.db_url)
    with sessions() as session:
        name = current_name(session)
    local = index.current()
    if name is None or (local is not None and local.name == name):
        return None
    folder = fetch(sessions, index, name)
    if folder is None:
        return None  # superseded and dropped meanwhile: the next round takes the newer one
    with sessions() as session:
        if current_name(session) != name:
            return None  # a newer build arrived while this one downloaded
    index.publish(folder)
    log.info("index build %s fetched from the database and published", name)
    return name


class IndexSync:
    """The background thread of one node (``start``/``stop`` from the service's start-up
    and shutdown); it does nothing when builds are not shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.settings.shares_index or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="jnt-index-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        index = IndexStore(self.settings.index_dir)
        while not self._stop.is_set():
            try:
                fetch_current(self.settings, index)
            except BuildRefused as refused:
                log.error("index sync: %s (%s)", refused.code, refused.detail)
            except Exception:  # noqa: BLE001 - a bad round must not end the thread
                log.exception("index sync failed; retrying in %s s",
                              self.settings.index_sync_seconds)
            self._stop.wait(max(self.settings.index_sync_seconds, 0.1))

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
