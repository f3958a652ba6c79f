"""Admin: ``POST /v1/catalog/import`` (multipart ``file`` and ``skip_bad_rows``).

Small files are imported at once and the report returned; ``background=true`` runs a large
one as a job. A file with bad rows is refused whole (422 ``catalog_invalid`` with the
report naming every bad line), as ``jnt catalog import`` does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db
from api.error_codes import raises
from api.schemas import ImportReportOut, JobAccepted
from api.security import Admin
from api.uploads import read_upload, truthy
from corpus.errors import InvalidInput
from matcher.catalog import import_catalog

router = APIRouter(prefix="/catalog", tags=["管理"])


@router.post("/import", response_model=ImportReportOut, summary="导入培训项目目录",
             description="上传一个目录文件（CSV 或 XLSX）。小文件立即导入并返回报告（200）；"
                         "background=true 时作为后台任务（202 和 job_id）。有错误行时整个文件被拒绝"
                         "（422 catalog_invalid，detail 是逐行报告），除非 skip_bad_rows=true。"
                         "只接受管理员账号。",
             responses={202: {"model": JobAccepted, "description": "已作为后台任务接受"}},
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": {"$ref": "#/components/schemas/CatalogImportIn"}}}},
                 **raises("not_multipart", "no_files", "one_file_only", "bad_filename",
                          "filename_too_long", "catalog_invalid", "catalog_empty",
                          "catalog_bad_header", "catalog_missing_columns",
                          "catalog_bad_encoding", "catalog_unreadable",
                          "catalog_unsupported_format", "busy", "disk_full")})
async def catalog_import(request: Request, settings: SettingsDep,
                         db: Annotated[sessionmaker, Depends(get_db)],
                         _caller: Admin) -> Any:
    upload = await read_upload(request, settings)
    if len(upload.files) != 1:
        upload.cleanup()
        raise InvalidInput("一次只能导入一个目录文件。", code="one_file_only")
    skip = truthy(upload.fields.get("skip_bad_rows") or request.query_params.get("skip_bad_rows"))
    path = upload.files[0]
    if truthy(upload.fields.get("background") or request.query_params.get("background")):
        try:  # the file travels with the job, in the database: any node may run it
            job_id = await run_in_threadpool(
                request.app.state.jobs.submit, "catalog_import",
                {"filename": path.name, "skip_bad_rows": skip}, upload.folder)
        finally:
            upload.cleanup()
        return JSONResponse({"job_id": job_id}, status_code=202)
    try:
        return import_catalog(settings, path, skip_bad_rows=skip).to_dict()
    except InvalidInput as error:
        if error.code.startswith("catalog_"):
            error.status = 422  # the file was read and refused: unprocessable content
        raise
    finally:
        upload.cleanup()
