"""``GET /v1/jobs/{id}``: poll a background admin job (any process on the database can);
``POST /v1/jobs/{id}/cancel``: ask for it to stop.

A poll of a job whose lease lapsed or whose deadline passed settles it on the spot (queued
again, or failed as ``job_lost`` / ``job_timeout``), so an admin never watches a dead job
"run" until the next heartbeat of some other node. Only that rare case writes; an ordinary
poll is a read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db
from api.error_codes import raises
from api.jobs import ACTIVE, CANCELLED, job_dict, needs_settling, settle
from api.models import Job, JobPayload, utc_now
from api.schemas import JobOut
from api.security import Admin
from corpus.errors import NotFound

router = APIRouter(prefix="/jobs", tags=["管理"])
DbDep = Annotated[sessionmaker, Depends(get_db)]


def _not_found(job_id: str) -> NotFound:
    return NotFound("找不到这个任务。", code="job_not_found", detail={"job_id": job_id})


@router.get("/{job_id}", response_model=JobOut, summary="查看后台任务",
            description="任务的状态和进度；失败时 error 为 {code, message, detail}（如 job_lost、"
                        "cancelled）。只接受管理员账号。", openapi_extra=raises("job_not_found"))
def get_job(job_id: str, db: DbDep, settings: SettingsDep, _caller: Admin) -> dict[str, Any]:
    with db() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise _not_found(job_id)
        if not needs_settling(job):
            return job_dict(job)
    with db() as session, session.begin():
        settle(session, settings, job_id=job_id)
        return job_dict(session.get(Job, job_id))  # type: ignore[arg-type]


@router.post("/{job_id}/cancel", response_model=JobOut, summary="取消后台任务",
             description="排队中的任务立即取消；运行中的在下一步停止。只接受管理员账号。",
             openapi_extra=raises("job_not_found"))
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
                session.execute(delete(JobPayload).where(JobPayload.job_id == job_id))
            job.updated_at = utc_now()
        return job_dict(job)
