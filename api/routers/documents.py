"""Admin: the policy library — list, upload (ingest as a job), remove, re-index (a job).

Builds are published atomically, so searches keep answering from the old index until a
new one is complete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db, get_library
from api.error_codes import raises
from api.jobs import JobRunner
from api.schemas import DocumentOut, JobAccepted, RemovedOut
from api.security import Admin
from api.uploads import read_upload
from corpus.library import Library

router = APIRouter(prefix="/documents", tags=["管理"])
LibraryDep = Annotated[Library, Depends(get_library)]
DbDep = Annotated[sessionmaker, Depends(get_db)]


def _runner(request: Request) -> JobRunner:
    return request.app.state.jobs


def accepted(job_id: str) -> JSONResponse:
    return JSONResponse(JobAccepted(job_id=job_id).model_dump(), status_code=202)


NEXT_CURSOR = "X-Next-Cursor"


@router.get("", response_model=list[DocumentOut], summary="政策文件列表（分页）",
            description="按文档编号排序，一页 limit 条。响应体仍是数组（兼容旧客户端）；"
                        "下一页的游标"
                        f"在响应头 {NEXT_CURSOR} 中，作为 after 传回；最后一页没有这个响应头。"
                        "只接受管理员账号。",
            responses={200: {"headers": {NEXT_CURSOR: {
                "description": "下一页的游标（最后一页没有）", "schema": {"type": "string"}}}}})
def list_documents(library: LibraryDep, _caller: Admin, response: Response,
                   after: Annotated[str | None, Query(max_length=200, description=(
                       "上一页响应头 X-Next-Cursor 的值；不传则从第一条开始"))] = None,
                   limit: Annotated[int, Query(ge=1, le=500, description="每页条数")] = 200,
                   ) -> list[dict[str, Any]]:
    docs = [d for d in library.documents() if after is None or d["id"] > after]
    if len(docs) > limit:
        response.headers[NEXT_CURSOR] = docs[limit - 1]["id"]
    return docs[:limit]


# The body is read by api.uploads; its schema (DocumentsUploadIn) is added by api.openapi.
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"$ref": "#/components/schemas/DocumentsUploadIn"}}}}}
_UPLOAD_CODES = ("not_multipart", "no_files", "bad_filename", "filename_too_long",
                 "duplicate_file", "busy", "disk_full")


@router.post("", status_code=202, response_model=JobAccepted, summary="上传政策文件（后台任务）",
             description="上传一个或多个政策文件（可附 .meta.yaml），作为后台任务导入并重建索引；"
                         "用 GET /v1/jobs/{job_id} 查看进度。只接受管理员账号。",
             openapi_extra={**_UPLOAD_BODY, **raises(*_UPLOAD_CODES)})
async def upload(request: Request, settings: SettingsDep, library: LibraryDep, db: DbDep,
                 _caller: Admin) -> JSONResponse:
    files = await read_upload(request, settings)
    try:  # the files travel with the job, in the database: any node may run it
        job_id = await run_in_threadpool(_runner(request).submit, "ingest",
                                         {"files": [f.name for f in files.files]},
                                         files.folder)
    finally:
        files.cleanup()
    return accepted(job_id)


@router.post("/reindex", status_code=202, response_model=JobAccepted,
             summary="重建索引（后台任务）",
             description="用库中的文件重建检索索引；完成前检索继续使用旧索引。只接受管理员账号。",
             openapi_extra=raises("busy", "disk_full"))
def reindex(request: Request, library: LibraryDep, db: DbDep, _caller: Admin) -> JSONResponse:
    return accepted(_runner(request).submit("reindex", {}))


@router.delete("/{doc_id}", response_model=RemovedOut, summary="删除政策文件",
               description="删除一个文件并发布不含它的新索引。只接受管理员账号。",
               openapi_extra=raises("document_not_found", "busy", "disk_full"))
def remove(doc_id: str, library: LibraryDep, _caller: Admin) -> RemovedOut:
    return RemovedOut(removed=doc_id, index_build=library.remove(doc_id))
