"""Long admin work (ingest, catalog import, re-index) as jobs any node can run.

A job is data: a row in ``jobs`` with its kind and JSON params, and its input files (an
upload) as a tar in ``job_payloads``. Whatever node accepted it, every node's runner
claims queued jobs — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional
``UPDATE … WHERE status = 'queued'`` on SQLite — so each is run by exactly one node, one
job at a time per node (an index build already uses every core). What a kind does lives
in ``api.job_kinds``. A re-index publishes its build only when complete, so searches keep
answering from the old index meanwhile.

Claimed jobs hold a lease, renewed by the owner's heartbeat thread. A node killed with -9
stops renewing; once the lease lapses any node (its heartbeat, the start-up sweep, or a
poll of that job) puts the job back in the queue, until it has been started
``max_attempts`` times — then it fails with ``job_lost``. A run longer than
``JNT_JOB_TIME_LIMIT_SECONDS`` fails with ``job_timeout``: the work's own progress calls
raise, and every node's heartbeat fails any over-deadline job (also one whose node hangs).
A node's final write only lands while it still owns the running job, so a node that
lost its lease (and its job to another node) cannot overwrite the other's outcome.

Progress and cancellation never make the work wait for the database: the work's progress
calls only record the fraction in memory and wake the heartbeat thread, which writes it
(with the lease) and reads back cancel requests.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api import job_kinds
from api.job_kinds import JobContext, Progress
from api.models import Job, JobPayload, utc_now
from corpus.errors import JntError
from corpus.settings import Settings

log = logging.getLogger("jnt.jobs")
ACTIVE = ("queued", "running")
LOST = {"code": "job_lost",
        "message": "任务中断：处理它的服务进程已停止（例如重启或被强制结束），多次重试后仍未完成。"
                   "请查看文档列表后重新提交。",
        "detail": None}
CANCELLED = {"code": "cancelled", "message": "任务已被管理员取消。", "detail": None}
__all__ = ["ACTIVE", "CANCELLED", "LOST", "JobRunner", "Progress", "job_dict", "settle"]


class Cancelled(JntError):
    code = "cancelled"


class TimedOut(JntError):
    code = "job_timeout"


def timeout_error(limit_seconds: float | None) -> dict[str, Any]:
    shown = f"{int(limit_seconds)} 秒" if limit_seconds else "规定"
    return {"code": "job_timeout",
            "message": f"任务超时：运行超过了{shown}的时限，已停止。请把文件分批提交，"
                       "或请管理员调大 JNT_JOB_TIME_LIMIT_SECONDS。",
            "detail": {"time_limit_seconds": limit_seconds}}


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": round(job.progress, 3), "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat()}


def owner_id() -> str:
    """Unique per runner: host and pid for people reading the table, a nonce for safety."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _drop_payloads(session: Session, job_ids: list[str]) -> None:
    if job_ids:
        session.execute(delete(JobPayload).where(JobPayload.job_id.in_(job_ids)))


def _lapsed(now: dt.datetime, lease: dt.timedelta) -> Any:
    """Running jobs whose lease lapsed; one without a lease (made before leases existed)
    counts as lapsed one lease after its last update."""
    return and_(Job.status == "running",
                or_(Job.lease_expires_at < now,
                    and_(Job.lease_expires_at.is_(None), Job.updated_at < now - lease)))


def reclaim_expired(session: Session, lease_seconds: float, job_id: str | None = None,
                    now: dt.datetime | None = None) -> list[str]:
    """Requeue every running job whose lease lapsed (or just ``job_id``), or fail it
    (``job_lost``) once it has had its attempts; returns their ids. The caller commits."""
    now = now or utc_now()
    query = select(Job).where(_lapsed(now, dt.timedelta(seconds=lease_seconds)))
    if job_id is not None:
        query = query.where(Job.id == job_id)
    lapsed = session.scalars(query).all()
    ended = []
    for job in lapsed:
        job.updated_at, job.lease_expires_at, job.deadline_at = now, None, None
        if job.cancel_requested:
            job.status, job.error = "failed", dict(CANCELLED)
        elif job.params is not None and job.attempts < job.max_attempts:
            log.warning("job %s (%s) lost its lease (owner %s, attempt %d of %d): queued "
                        "again", job.id, job.kind, job.owner, job.attempts, job.max_attempts)
            job.status, job.owner, job.progress, job.workdir = "queued", None, 0.0, None
            continue
        else:
            log.warning("job %s (%s) lost its lease (owner %s) after %d attempt(s): failed",
                        job.id, job.kind, job.owner, job.attempts)
            job.status, job.error = "failed", dict(LOST)
        ended.append(job.id)
    _drop_payloads(session, ended)
    return [job.id for job in lapsed]


def time_out_overdue(session: Session, job_id: str | None = None,
                     now: dt.datetime | None = None,
                     limit_seconds: float | None = None) -> list[str]:
    """Fail every running job past its deadline (whichever node runs it)."""
    now = now or utc_now()
    query = select(Job).where(Job.status == "running", Job.deadline_at < now)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    overdue = session.scalars(query).all()
    for job in overdue:
        log.warning("job %s (%s, owner %s) passed its deadline: failed", job.id, job.kind,
                    job.owner)
        job.status, job.error = "failed", timeout_error(limit_seconds)
        job.updated_at, job.lease_expires_at = now, None
    _drop_payloads(session, [job.id for job in overdue])
    return [job.id for job in overdue]


def settle(session: Session, settings: Settings, job_id: str | None = None,
           now: dt.datetime | None = None) -> list[str]:
    """Time out overdue jobs, then requeue or fail lapsed ones; returns their ids. The
    caller commits."""
    now = now or utc_now()
    return [*time_out_overdue(session, job_id, now, settings.job_time_limit_seconds),
            *reclaim_expired(session, settings.job_lease_seconds, job_id, now)]


def needs_settling(job: Job, now: dt.datetime | None = None) -> bool:
    now = now or utc_now()
    return job.status == "running" and (
        (job.lease_expires_at is not None and job.lease_expires_at < now)
        or (job.deadline_at is not None and job.deadline_at < now))


class JobRunner:
    """One node's runner: a claim loop that runs queued jobs one at a time, and a
    heartbeat that renews this node's leases and settles everyone's lapsed or overdue
    jobs. Threads start with the service (``open``) or on the first local submit."""

    def __init__(self, settings: Settings, db: sessionmaker | None = None) -> None:
        from api.users import user_sessions

        self.settings = settings
        self.db = db or user_sessions(settings)
        self.lease = dt.timedelta(seconds=settings.job_lease_seconds)
        self.owner = owner_id()
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}  # progress not yet written
        self._cancelled: set[str] = set()  # own jobs an admin asked to stop
        self._timed_out: set[str] = set()  # own jobs a heartbeat failed as overdue
        self._running: set[str] = set()  # jobs running on this runner now
        self._beat = threading.Event()  # wakes the heartbeat (progress to write)
        self._claim = threading.Event()  # wakes the claim loop (a local submit)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @classmethod
    def start(cls, settings: Settings) -> JobRunner:
        """The runner of a starting service: first sweep what dead processes left behind
        (lapsed leases, upload and build folders). ``open`` starts its threads."""
        from api.job_sweep import sweep

        sweep(settings)
        return cls(settings)

    def open(self) -> None:
        with self._lock:
            if self._threads and all(t.is_alive() for t in self._threads):
                return
            self._stop.clear()
            self._threads = [threading.Thread(target=self._claim_loop, name="jnt-jobs",
                                              daemon=True),
                             threading.Thread(target=self._keep, name="jnt-jobs-lease",
                                              daemon=True)]
            for thread in self._threads:
                thread.start()

    def close(self) -> None:
        """Stop claiming (a running job finishes in its daemon thread or dies with the
        process; its lease then lapses and another node runs it)."""
        self._stop.set()
        self._claim.set()
        self._beat.set()

    def submit(self, kind: str, params: dict[str, Any] | None = None,
               files: Path | None = None) -> str:
        """Queue a job; ``files`` (an upload folder) is stored with it in the database, so
        the caller may remove the folder as soon as this returns."""
        if kind not in job_kinds.HANDLERS:
            raise ValueError(f"unknown job kind {kind!r}")
        data = job_kinds.pack(files) if files is not None else None
        with self.db() as session, session.begin():
            job = Job(kind=kind, status="queued", progress=0.0, params=params or {},
                      attempts=0, max_attempts=max(1, self.settings.job_max_attempts))
            session.add(job)
            session.flush()
            if data is not None:
                session.add(JobPayload(job_id=job.id, data=data))
        self.open()
        self._claim.set()
        return job.id

    def join(self, timeout: float = 600) -> bool:
        """Wait until no job is queued and none runs here (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        waiting = or_(and_(Job.status == "queued", Job.kind.in_(list(job_kinds.HANDLERS))),
                      and_(Job.status == "running", Job.owner == self.owner))
        while time.monotonic() < deadline:
            with self.db() as session:
                if not session.scalar(select(func.count()).select_from(Job).where(waiting)):
                    return True
            time.sleep(0.05)
        return False

    # -- leases ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Renew this runner's leases, write progress, read cancel requests, and settle
        every node's lapsed or overdue jobs.

        A failure (SQLite locked by a long ingest transaction) is logged and retried on
        the next beat; the lease is many beats long for that reason."""
        with self._lock:
            pending, self._pending = self._pending, {}
        try:
            with self.db() as session, session.begin():
                now = utc_now()
                mine = and_(Job.owner == self.owner, Job.status == "running")
                session.execute(update(Job).where(mine)
                                .values(lease_expires_at=now + self.lease))
                for job_id, fraction in pending.items():
                    session.execute(update(Job).where(mine, Job.id == job_id)
                                    .values(progress=fraction, updated_at=now))
                cancelled = set(session.scalars(
                    select(Job.id).where(mine, Job.cancel_requested.is_(True))))
                overdue = set(time_out_overdue(session, now=now,
                                               limit_seconds=self.settings.job_time_limit_seconds))
                reclaim_expired(session, self.lease.total_seconds(), now=now)
        except SQLAlchemyError as exc:
            log.warning("job heartbeat failed, retrying next beat: %s", type(exc).__name__)
            with self._lock:  # keep what was not written, unless a newer value came
                self._pending = {**pending, **self._pending}
            return
        with self._lock:
            self._cancelled |= cancelled
            self._timed_out |= overdue & self._running

    def _keep(self) -> None:
        while not self._stop.is_set():
            self._beat.wait(self.settings.job_heartbeat_seconds)
            self._beat.clear()
            if not self._stop.is_set():
                self.heartbeat()

    # -- claiming and running ----------------------------------------------------------
    def _claim_loop(self) -> None:
        """Claim and run jobs until stopped. Failures back off (doubling up to a minute)
        and are logged once per streak, so a database that is down or a schema that was
        not upgraded does not fill the log with a line every poll."""
        failures = 0
        while not self._stop.is_set():
            self._claim.clear()
            try:
                ran = self.run_next()
                if failures:
                    log.info("job claims work again after %d failed attempts", failures)
                failures = 0
            except Exception as exc:  # noqa: BLE001 — the loop outlives any one failure
                if not failures:  # SQLite busy, PostgreSQL restarting, schema behind
                    log.warning("job claim failed, retrying with back-off: %s",
                                type(exc).__name__,
                                exc_info=not isinstance(exc, SQLAlchemyError))
                failures += 1
                ran = False
            if not ran:
                backoff = min(60.0, self.settings.job_poll_seconds * 2 ** min(failures, 6))
                self._claim.wait(backoff if failures else self.settings.job_poll_seconds)

    def run_next(self) -> bool:
        """Claim the oldest queued job and run it here; False when there was none."""
        claimed = self._claim_one()
        if claimed is None:
            return False
        job_id, kind, params, data, folder = claimed
        try:
            if data is not None:
                job_kinds.unpack(data, folder)
            self._run(job_id, kind, params, folder if data is not None else None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return True

    def _claim_one(self) -> tuple[str, str, dict[str, Any], bytes | None, Path] | None:
        with self.db() as session, session.begin():
            query = (select(Job).where(Job.status == "queued",
                                       Job.kind.in_(list(job_kinds.HANDLERS)))
                     .order_by(Job.created_at).limit(1))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            job = session.scalars(query).first()
            if job is None:
                return None
            now = utc_now()
            if job.params is None or job.cancel_requested:  # made by an older version
                error = CANCELLED if job.cancel_requested else LOST
                session.execute(update(Job).where(Job.id == job.id, Job.status == "queued")
                                .values(status="failed", error=dict(error), updated_at=now))
                _drop_payloads(session, [job.id])
                return None
            folder = (self.settings.ensure_home() / "uploads"
                      / f"job-{job.id}-{uuid.uuid4().hex[:6]}")
            taken = session.execute(
                update(Job).where(Job.id == job.id, Job.status == "queued")
                .values(status="running", owner=self.owner, attempts=Job.attempts + 1,
                        lease_expires_at=now + self.lease, updated_at=now,
                        deadline_at=now + dt.timedelta(
                            seconds=self.settings.job_time_limit_seconds),
                        workdir=str(folder), error=None)).rowcount
            if taken != 1:  # another node took it between our read and write (SQLite)
                return None
            payload = session.get(JobPayload, job.id)
            log.info("job %s (%s) claimed by %s", job.id, job.kind, self.owner)
            return job.id, job.kind, dict(job.params), payload.data if payload else None, \
                folder

    def _progress(self, job_id: str) -> Progress:
        last = [0.0]
        deadline = time.monotonic() + self.settings.job_time_limit_seconds

        def progress(fraction: float) -> None:
            if job_id in self._cancelled:
                raise Cancelled(CANCELLED["message"])
            if job_id in self._timed_out or time.monotonic() > deadline:
                error = timeout_error(self.settings.job_time_limit_seconds)
                raise TimedOut(error["message"], detail=error["detail"])
            fraction = max(0.0, min(1.0, fraction))
            if fraction - last[0] >= 0.05:  # a row write per 5 %, by the heartbeat thread
                last[0] = fraction
                with self._lock:
                    self._pending[job_id] = fraction
                self._beat.set()

        return progress

    def _run(self, job_id: str, kind: str, params: dict[str, Any],
             folder: Path | None) -> None:
        progress = self._progress(job_id)
        with self._lock:
            self._running.add(job_id)
        try:
            self._test_delay(progress)
            result = job_kinds.HANDLERS[kind](
                JobContext(self.settings, params, progress, folder))
        except JntError as error:
            self._finish(job_id, status="failed", error=error.to_dict())
        except Exception:  # noqa: BLE001 — a job never takes the service down
            log.exception("job %s failed", job_id)
            self._finish(job_id, status="failed", error={
                "code": "internal", "message": "任务执行失败，请查看服务日志。", "detail": None})
        else:
            self._finish(job_id, status="done", progress=1.0, result=result)
        finally:
            with self._lock:
                self._pending.pop(job_id, None)
                self._cancelled.discard(job_id)
                self._timed_out.discard(job_id)
                self._running.discard(job_id)

    def _test_delay(self, progress: Progress) -> None:
        """``JNT_JOB_TEST_DELAY_SECONDS`` (tests only, 0 by default): a slow job on demand."""
        delay = self.settings.job_test_delay_seconds
        end = time.monotonic() + delay
        while time.monotonic() < end:
            progress(0.0)
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))

    def _finish(self, job_id: str, **values: Any) -> None:
        """The job's outcome, written only while this node still owns the running job;
        its payload goes with it. Retried: losing an outcome would re-run the job."""
        for attempt in range(5):
            try:
                with self.db() as session, session.begin():
                    ended = session.execute(
                        update(Job).where(Job.id == job_id, Job.owner == self.owner,
                                          Job.status == "running")
                        .values(lease_expires_at=None, updated_at=utc_now(), **values)).rowcount
                    if ended:
                        _drop_payloads(session, [job_id])
                    else:
                        log.warning("job %s ended here but is no longer ours; outcome "
                                    "dropped", job_id)
                return
            except SQLAlchemyError as exc:
                log.warning("job %s: writing its outcome failed (%s), retrying", job_id,
                            type(exc).__name__)
                time.sleep(1 + attempt)
