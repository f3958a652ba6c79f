"""Admin: ``POST /v1/catalog/import`` (multipart ``file`` and ``skip_bad_rows``).

Small files are imported at once and the report returned; ``background=true`` runs a large
one as a job. A file with bad rows is refused whole (422 ``catalog_invalid`` with the
report naming every bad line), as ``jnt catalog import`` does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker

from api.deps import SettingsDep, get_db
from api.jobs import Progress
from api.security import Admin
from api.uploads import read_upload, truthy
from corpus.errors import InvalidInput
from matcher.catalog import import_catalog

router = APIRouter(prefix="/catalog", tags=["管理"])


@router.post("/import", responses={202: {"description": "已作为后台任务接受"}})
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
        def work(progress: Progress) -> dict[str, Any]:
            return import_catalog(settings, path, skip_bad_rows=skip).to_dict()

        job_id = request.app.state.jobs.submit(db, "catalog_import", work, upload.cleanup)
        return JSONResponse({"job_id": job_id}, status_code=202)
    try:
        return import_catalog(settings, path, skip_bad_rows=skip).to_dict()
    except InvalidInput as error:
        if error.code.startswith("catalog_"):
            error.status = 422  # the file was read and refused: unprocessable content
        raise
    finally:
        upload.cleanup()
