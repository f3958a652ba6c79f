"""What a starting service clears up after processes that died mid-job (kill -9, OOM).

- Jobs whose lease lapsed are marked failed (``api.jobs.reclaim_expired``).
- Upload folders (``$JNT_HOME/uploads/<id>/``) that no live job needs are removed: a
  folder is kept while a queued or running job names it as its ``workdir``, and while it
  is younger than one lease (an upload being written, or a job being queued right now).
  While a live job has no recorded folder (submitted without ``workdir``), none is removed.
- Temporary index builds (``index/builds/.<id>.tmp``) are removed — but only when the
  home's write lock is free, since a live ingest in another process builds in one.

The sweep never stops a service from starting: a failure is logged and skipped.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from api.jobs import ACTIVE, reclaim_expired
from api.models import Job
from corpus.settings import Settings
from corpus.write_lock import Busy, write_lock

log = logging.getLogger("jnt.jobs")


def sweep(settings: Settings) -> dict[str, int]:
    """Reclaim lapsed jobs and remove orphaned folders; returns how many of each."""
    from api.users import user_sessions

    done = {"jobs": 0, "uploads": 0, "builds": 0}
    workdirs: list[str | None] = []
    try:
        db = user_sessions(settings)
        with db() as session, session.begin():
            done["jobs"] = len(reclaim_expired(session, settings.job_lease_seconds))
            workdirs = session.execute(
                select(Job.workdir).where(Job.status.in_(ACTIVE))).scalars().all()
    except SQLAlchemyError as exc:
        log.warning("start-up job sweep skipped: %s", type(exc).__name__)
        return done  # without the job table we cannot tell which uploads are wanted
    if None in workdirs:
        # A live job that did not say which folder is its own: any folder may be it.
        log.info("start-up sweep keeps uploads: a live job has no recorded folder")
    else:
        done["uploads"] = _orphan_uploads(settings, {w for w in workdirs if w})
    done["builds"] = _leftover_builds(settings)
    if any(done.values()):
        log.info("start-up sweep: %s", done)
    return done


def _orphan_uploads(settings: Settings, wanted: set[str]) -> int:
    uploads = settings.home / "uploads"
    if not uploads.is_dir():
        return 0
    keep = {str(Path(w).resolve()) for w in wanted}
    cutoff = time.time() - settings.job_lease_seconds
    removed = 0
    for folder in uploads.iterdir():
        try:
            if (not folder.is_dir() or str(folder.resolve()) in keep
                    or folder.stat().st_mtime > cutoff):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _leftover_builds(settings: Settings) -> int:
    builds = settings.index_dir / "builds"
    if not builds.is_dir():
        return 0
    removed = 0
    try:
        with write_lock(settings, wait_seconds=0):
            for folder in builds.glob(".*.tmp"):
                if folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
    except Busy:
        pass  # a live writer is building; its folder is not ours to remove
    return removed
