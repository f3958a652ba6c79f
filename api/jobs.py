"""Long admin work (ingest, catalog import, re-index) as jobs with pollable progress.

The job's state is a row in ``jobs`` so any process on the same database can answer a
poll; the work itself runs on one runner thread in the process that accepted it, one job
at a time (an index build already uses every core). A re-index publishes its build only
when complete, so searches keep answering from the old index meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import sessionmaker

from api.models import Job, _now
from corpus.errors import JntError

log = logging.getLogger("jnt.jobs")
Progress = Callable[[float], None]
Work = Callable[[Progress], dict[str, Any]]


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": round(job.progress, 3), "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat()}


class JobRunner:
    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[sessionmaker, str, Work, Callable[[], None]]] = \
            queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, db: sessionmaker, kind: str, work: Work,
               cleanup: Callable[[], None] = lambda: None) -> str:
        with db() as session, session.begin():
            job = Job(kind=kind, status="queued", progress=0.0)
            session.add(job)
        self._queue.put((db, job.id, work, cleanup))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="jnt-jobs",
                                                daemon=True)
                self._thread.start()
        return job.id

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
                job.updated_at = _now()

    def _run(self, db: sessionmaker, job_id: str, work: Work) -> None:
        self._update(db, job_id, status="running")
        last = [0.0]

        def progress(fraction: float) -> None:
            fraction = max(0.0, min(1.0, fraction))
            if fraction - last[0] >= 0.05 or fraction >= 1.0:  # a row write per 5 %
                last[0] = fraction
                self._update(db, job_id, progress=fraction)

        try:
            result = work(progress)
        except JntError as error:
            self._update(db, job_id, status="failed", error=error.to_dict())
        except Exception:  # noqa: BLE001 — a job never takes the service down
            log.exception("job %s failed", job_id)
            self._update(db, job_id, status="failed", error={
                "code": "internal", "message": "任务执行失败，请查看服务日志。", "detail": None})
        else:
            self._update(db, job_id, status="done", progress=1.0, result=result)
