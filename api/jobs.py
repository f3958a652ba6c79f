"""Long admin work (ingest, catalog import, re-index) as jobs with pollable progress.

The job's state is a row in ``jobs`` so any process on the same database can answer a
poll; the work itself runs on one runner thread in the process that accepted it, one job
at a time (an index build already uses every core). A re-index publishes its build only
when complete, so searches keep answering from the old index meanwhile.

Jobs hold a lease. The accepting process writes its ``owner`` id and renews
``lease_expires_at`` on a heartbeat thread while the job is queued or running. A process
killed with -9 stops renewing; once the lease lapses, any node (its own heartbeat, the
start-up sweep, or a poll of that job) marks the job failed with code ``job_lost``. A lost
job is not retried: its work is a closure in the dead process's memory, and its upload
may be half-written — so the admin is told to resubmit instead. If the owner turns out to
be alive after all (an SQLite write transaction can block its heartbeat for minutes), its
final write wins: a finished job is reported as finished.

Progress and cancellation never make the work wait for the database: the work's progress
calls only record the fraction in memory and wake the heartbeat thread, which writes it
(with the lease) and reads back cancel requests. Under SQLite an ingest holds the write
lock for its whole transaction; a blocked beat just retries, while the ingest goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.models import Job, utc_now
from corpus.errors import JntError
from corpus.settings import Settings

log = logging.getLogger("jnt.jobs")
Progress = Callable[[float], None]
Work = Callable[[Progress], dict[str, Any]]
ACTIVE = ("queued", "running")
LOST = {"code": "job_lost",
        "message": "任务中断：处理它的服务进程已停止（例如重启或被强制结束），任务没有完成。"
                   "请查看文档列表后重新提交。",
        "detail": None}
CANCELLED = {"code": "cancelled", "message": "任务已被管理员取消。", "detail": None}


class Cancelled(JntError):
    code = "cancelled"


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": round(job.progress, 3), "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat()}


def owner_id() -> str:
    """Unique per runner: host and pid for people reading the table, a nonce for safety."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _expired(now: dt.datetime, lease: dt.timedelta) -> Any:
    """Active jobs whose lease lapsed; a job without a lease (made before leases existed)
    counts as lapsed one lease after its last update."""
    return and_(Job.status.in_(ACTIVE),
                or_(Job.lease_expires_at < now,
                    and_(Job.lease_expires_at.is_(None), Job.updated_at < now - lease)))


def reclaim_expired(session: Session, lease_seconds: float, job_id: str | None = None,
                    now: dt.datetime | None = None) -> list[str]:
    """Mark every job whose lease lapsed (or just ``job_id``) failed; returns their ids.
    The caller commits."""
    now = now or utc_now()
    query = select(Job).where(_expired(now, dt.timedelta(seconds=lease_seconds)))
    if job_id is not None:
        query = query.where(Job.id == job_id)
    lost = session.scalars(query).all()
    for job in lost:
        log.warning("job %s (%s) lost its lease (owner %s); marked failed",
                    job.id, job.kind, job.owner)
        job.status, job.error, job.updated_at = "failed", dict(LOST), now
        job.lease_expires_at = None
    return [job.id for job in lost]


class JobRunner:
    def __init__(self, lease_seconds: float = 900, heartbeat_seconds: float = 30) -> None:
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.heartbeat_seconds = heartbeat_seconds
        self.owner = owner_id()
        self._queue: queue.Queue[tuple[sessionmaker, str, Work, Callable[[], None]]] = \
            queue.Queue()
        self._thread: threading.Thread | None = None
        self._keeper: threading.Thread | None = None
        self._databases: list[sessionmaker] = []
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}  # progress not yet written
        self._cancelled: set[str] = set()  # own jobs an admin asked to stop
        self._wake = threading.Event()

    @classmethod
    def start(cls, settings: Settings) -> JobRunner:
        """The runner of a starting service: first sweep what dead processes left behind
        (lapsed leases, upload and build folders), then accept jobs."""
        from api.job_sweep import sweep

        runner = cls(settings.job_lease_seconds, settings.job_heartbeat_seconds)
        sweep(settings)
        return runner

    def submit(self, db: sessionmaker, kind: str, work: Work,
               cleanup: Callable[[], None] = lambda: None, *,
               workdir: Path | None = None) -> str:
        """Queue ``work``; ``workdir`` (an upload folder) is recorded so the start-up sweep
        knows the folder is still wanted while the job is alive."""
        with db() as session, session.begin():
            job = Job(kind=kind, status="queued", progress=0.0, owner=self.owner,
                      lease_expires_at=utc_now() + self.lease,
                      workdir=str(workdir) if workdir else None)
            session.add(job)
        self._queue.put((db, job.id, work, cleanup))
        with self._lock:
            if db not in self._databases:
                self._databases.append(db)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="jnt-jobs",
                                                daemon=True)
                self._thread.start()
            if self._keeper is None or not self._keeper.is_alive():
                self._keeper = threading.Thread(target=self._keep, name="jnt-jobs-lease",
                                                daemon=True)
                self._keeper.start()
        return job.id

    # -- leases ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Renew this runner's leases and reclaim lapsed ones of every other process.

        A failure (SQLite locked by a long ingest transaction) is logged and retried on
        the next beat; the lease is many beats long for that reason."""
        with self._lock:
            databases = list(self._databases)
        with self._lock:
            pending, self._pending = self._pending, {}
        for db in databases:
            try:
                with db() as session, session.begin():
                    now = utc_now()
                    mine = and_(Job.owner == self.owner, Job.status.in_(ACTIVE))
                    session.execute(update(Job).where(mine)
                                    .values(lease_expires_at=now + self.lease))
                    for job_id, fraction in pending.items():
                        session.execute(update(Job).where(mine, Job.id == job_id)
                                        .values(progress=fraction, updated_at=now))
                    cancelled = set(session.scalars(
                        select(Job.id).where(mine, Job.cancel_requested.is_(True))))
                    reclaim_expired(session, self.lease.total_seconds(), now=now)
            except SQLAlchemyError as exc:
                log.warning("job heartbeat failed, retrying next beat: %s", type(exc).__name__)
                with self._lock:  # keep what was not written, unless a newer value came
                    self._pending = {**pending, **self._pending}
                continue
            with self._lock:
                self._cancelled |= cancelled

    def _keep(self) -> None:
        while True:
            self._wake.wait(self.heartbeat_seconds)
            self._wake.clear()
            self.heartbeat()

    # -- running -----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            db, job_id, work, cleanup = self._queue.get()
            try:
                self._run(db, job_id, work)
            finally:
                cleanup()
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every submitted job has finished (tests, shutdown)."""
        self._queue.join()

    @staticmethod
    def _update(db: sessionmaker, job_id: str, **values: Any) -> None:
        with db() as session, session.begin():
            job = session.get(Job, job_id)
            if job is not None:
                for key, value in values.items():
                    setattr(job, key, value)
                job.updated_at = utc_now()

    def _start(self, db: sessionmaker, job_id: str) -> bool:
        """Queued → running, unless the job was cancelled or reclaimed while it waited."""
        with db() as session, session.begin():
            job = session.get(Job, job_id)
            if job is None or job.status != "queued":
                return False
            if job.cancel_requested:
                job.status, job.error, job.lease_expires_at = "failed", dict(CANCELLED), None
                job.updated_at = utc_now()
                return False
            job.status, job.lease_expires_at, job.updated_at = \
                "running", utc_now() + self.lease, utc_now()
            return True

    def _run(self, db: sessionmaker, job_id: str, work: Work) -> None:
        if not self._start(db, job_id):
            return
        last = [0.0]

        def progress(fraction: float) -> None:
            if job_id in self._cancelled:
                raise Cancelled(CANCELLED["message"])
            fraction = max(0.0, min(1.0, fraction))
            if fraction - last[0] >= 0.05:  # a row write per 5 %, by the heartbeat thread
                last[0] = fraction
                with self._lock:
                    self._pending[job_id] = fraction
                self._wake.set()

        done = {"lease_expires_at": None}
        try:
            result = work(progress)
        except JntError as error:
            self._update(db, job_id, status="failed", error=error.to_dict(), **done)
        except Exception:  # noqa: BLE001 — a job never takes the service down
            log.exception("job %s failed", job_id)
            self._update(db, job_id, status="failed", error={
                "code": "internal", "message": "任务执行失败，请查看服务日志。", "detail": None},
                **done)
        else:
            self._update(db, job_id, status="done", progress=1.0, result=result, **done)
        finally:
            with self._lock:
                self._pending.pop(job_id, None)
                self._cancelled.discard(job_id)
