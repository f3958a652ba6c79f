"""Admin: the policy library — list, upload (ingest as a job), remove, re-index (a job).

Builds are published atomically, so searches keep answering from the old index until a
new one is complete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db, get_library
from api.jobs import JobRunner, Progress
from api.schemas import JobAccepted, RemovedOut
from api.security import Admin
from api.uploads import read_upload
from corpus.library import Library

router = APIRouter(prefix="/documents", tags=["管理"])
LibraryDep = Annotated[Library, Depends(get_library)]
DbDep = Annotated[sessionmaker, Depends(get_db)]


def _runner(request: Request) -> JobRunner:
    return request.app.state.jobs


def _steps(progress: Progress):  # type: ignore[no-untyped-def]
    return lambda done, total: progress(done / total if total else 1.0)


def accepted(job_id: str) -> JSONResponse:
    return JSONResponse(JobAccepted(job_id=job_id).model_dump(), status_code=202)


@router.get("")
def list_documents(library: LibraryDep, _caller: Admin) -> list[dict[str, Any]]:
    return library.documents()


@router.post("", status_code=202, response_model=JobAccepted)
async def upload(request: Request, settings: SettingsDep, library: LibraryDep, db: DbDep,
                 _caller: Admin) -> JSONResponse:
    files = await read_upload(request, settings)

    def work(progress: Progress) -> dict[str, Any]:
        return library.ingest([files.folder], progress=_steps(progress)).to_dict()

    return accepted(_runner(request).submit(db, "ingest", work, files.cleanup,
                                            workdir=files.folder))


@router.post("/reindex", status_code=202, response_model=JobAccepted)
def reindex(request: Request, library: LibraryDep, db: DbDep, _caller: Admin) -> JSONResponse:
    def work(progress: Progress) -> dict[str, Any]:
        return {"index_build": library.rebuild_index(progress=_steps(progress))}

    return accepted(_runner(request).submit(db, "reindex", work))


@router.delete("/{doc_id}", response_model=RemovedOut)
def remove(doc_id: str, library: LibraryDep, _caller: Admin) -> RemovedOut:
    return RemovedOut(removed=doc_id, index_build=library.remove(doc_id))
