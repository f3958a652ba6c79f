"""``GET /v1/jobs/{id}``: poll a background admin job (any process on the database can)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import sessionmaker

from api.deps import get_db
from api.jobs import job_dict
from api.models import Job
from api.schemas import JobOut
from api.security import Admin
from corpus.errors import NotFound

router = APIRouter(prefix="/jobs", tags=["管理"])


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: str, db: Annotated[sessionmaker, Depends(get_db)],
            _caller: Admin) -> dict[str, Any]:
    with db() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound("找不到这个任务。", code="job_not_found", detail={"job_id": job_id})
        return job_dict(job)
