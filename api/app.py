"""The HTTP service. This issue serves ``/healthz`` and ``/v1/search``; the full API
comes with the service issue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api import logs
from corpus import home
from corpus.errors import InvalidInput, JntError
from corpus.search import MAX_K, Searcher
from corpus.settings import get_settings


class SearchResultOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float


class SearchOut(BaseModel):
    query: str
    results: list[SearchResultOut]


def get_searcher() -> Searcher:
    return home.searcher()


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.ensure_home())
    app = FastAPI(title="技能通 API", version="0.1.0")

    @app.exception_handler(JntError)
    async def _jnt_error(_: Request, exc: JntError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                  for e in exc.errors()]
        return JSONResponse({"code": "invalid_request", "message": "请求参数有误。",
                             "detail": fields}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("jnt.api").exception("unexpected error")
        return JSONResponse({"code": "internal", "message": "服务内部错误，请稍后再试。",
                             "detail": None}, status_code=500)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/search", response_model=SearchOut)
    def search(
        searcher: Annotated[Searcher, Depends(get_searcher)],
        q: Annotated[str, Query(description="问题")] = "",
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
        region: str | None = None,
        doc_type: str | None = None,
        as_of: dt.date | None = None,
    ) -> SearchOut:
        if not q.strip():
            raise InvalidInput("请输入要查询的问题。", code="empty_query")
        hits = searcher.search(q, k, region=region, doc_type=doc_type, as_of=as_of)
        return SearchOut(query=q, results=[SearchResultOut(**h.to_dict()) for h in hits])

    return app
