"""``GET /v1/jobs/{id}``: poll a background admin job (any process on the database can);
``POST /v1/jobs/{id}/cancel``: ask for it to stop.

A poll of a job whose lease lapsed marks it failed on the spot (``job_lost``), so an admin
never watches a dead job "run" until the next heartbeat of some other node. Only that
rare case writes; an ordinary poll is a read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db
from api.jobs import ACTIVE, CANCELLED, job_dict, reclaim_expired
from api.models import Job, utc_now
from api.schemas import JobOut
from api.security import Admin
from corpus.errors import NotFound

router = APIRouter(prefix="/jobs", tags=["管理"])
DbDep = Annotated[sessionmaker, Depends(get_db)]


def _not_found(job_id: str) -> NotFound:
    return NotFound("找不到这个任务。", code="job_not_found", detail={"job_id": job_id})


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: str, db: DbDep, settings: SettingsDep, _caller: Admin) -> dict[str, Any]:
    with db() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise _not_found(job_id)
        lapsed = (job.status in ACTIVE and job.lease_expires_at is not None
                  and job.lease_expires_at < utc_now())
        if not lapsed:
            return job_dict(job)
    with db() as session, session.begin():
        reclaim_expired(session, settings.job_lease_seconds, job_id=job_id)
        return job_dict(session.get(Job, job_id))  # type: ignore[arg-type]


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, db: DbDep, _caller: Admin) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one stops at its next progress step
    (a re-index), or finishes if it reports none (an ingest commits all or nothing)."""
    with db() as session, session.begin():
        job = session.get(Job, job_id)
        if job is None:
            raise _not_found(job_id)
        if job.status in ACTIVE:
            job.cancel_requested = True
            if job.status == "queued":
                job.status, job.error, job.lease_expires_at = "failed", dict(CANCELLED), None
            job.updated_at = utc_now()
        return job_dict(job)
