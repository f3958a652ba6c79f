"""What a starting service clears up after processes that died mid-job (kill -9, OOM).

- Running jobs whose lease lapsed are queued again or failed, and overdue ones failed
  (``api.jobs.settle``).
- Upload folders (``$JNT_HOME/uploads/<id>/``) that no running job of this home needs are
  removed: a folder is kept while a running job names it as its ``workdir``, and while it
  is younger than one lease (an upload being written, or a job being queued right now).
  Queued jobs need no folder: their files wait in the database (``job_payloads``).
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

from api.jobs import settle
from api.models import Job
from corpus.settings import Settings
from corpus.write_lock import Busy, write_lock

log = logging.getLogger("jnt.jobs")


def sweep(settings: Settings) -> dict[str, int]:
    """Reclaim lapsed jobs and remove orphaned folders; returns how many of each."""
    from api.users import user_sessions

    done = {"jobs": 0, "uploads": 0, "builds": 0}
    try:
        db = user_sessions(settings)
        with db() as session, session.begin():
            done["jobs"] = len(settle(session, settings))
            session.flush()
            workdirs = session.scalars(select(Job.workdir).where(Job.status == "running")).all()
    except SQLAlchemyError as exc:
        log.warning("start-up job sweep skipped: %s", type(exc).__name__)
        return done  # without the job table we cannot tell which uploads are wanted
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
