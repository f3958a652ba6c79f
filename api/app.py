"""The HTTP service: ``create_app`` wires the ``/v1`` routers, middleware and error shapes.

Every error a client sees is ``{code, message, detail}`` with a Chinese message; invalid
input is 422 with field paths; no stack trace ever leaves the process (it goes to the log).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    db_migrate,
    docs_pages,
    file_modes,
    logs,
    openapi,
    pages,
    rate_store,
    request_id,
    warmup,
)
from api import fields as fields_
from api.deps import get_searcher  # noqa: F401  (re-exported: tests override it)
from api.jobs import JobRunner
from api.request_id import RequestIdMiddleware
from api.routers import (
    ask,
    auth,
    cases,
    catalog,
    chat,
    chat_stream,
    documents,
    eligibility,
    feedback,
    handout,
    jobs,
    match,
    occupations,
    ops,
    programs,
    search,
    shortage,
    vocabulary,
    wechat,
)
from api.security import rate_headers, rate_keys
from api.wechat import check_sandbox
from corpus.disk import MESSAGE as DISK_FULL_MESSAGE
from corpus.disk import is_disk_full
from corpus.errors import JntError
from corpus.index_sync import IndexSync
from corpus.settings import Settings, get_settings

log = logging.getLogger("jnt.api")
UPLOAD_PATHS = ("/v1/documents", "/v1/catalog/import")
UNMETERED = ("/healthz", "/readyz", "/metrics")
EXPOSED_HEADERS = ["X-Request-ID", "Retry-After", "X-RateLimit-Limit",
                   "X-RateLimit-Remaining", "Idempotent-Replayed"]


def _error(code: str, message: str, detail: Any, status: int) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "detail": detail}, status_code=status)


class BodyTooLarge(JntError):
    code = "body_too_large"
    status = 413


class BodyLimit:
    """Refuse bodies over the limit (1 MB; uploads have their own) by Content-Length and,
    for bodies without one, while they stream in."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    def _limit(self, path: str) -> int:
        if path.startswith(UPLOAD_PATHS):
            return self.settings.max_upload_bytes
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        error = BodyTooLarge(f"请求内容太大（上限 {limit // 1000} KB）。",
                             detail={"limit_bytes": limit})
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _error(error.code, error.message, error.detail, 413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise error
            return message

        await self.app(scope, limited, send)


def _mark_route(request: Request) -> None:
    """Record the route template (not the raw path: ids would explode the label set) in
    ``request.state``, which the metrics middleware shares with the endpoint."""
    path = getattr(request.scope.get("route"), "path", None)
    if path and request.url.path.startswith("/v1/") and not path.startswith("/v1/"):
        path = "/v1" + path  # an included router's route knows only its own part
    request.state.route = path or "unmatched"


def _middleware(app: FastAPI, settings: Settings) -> None:
    buckets = rate_store.buckets_for(settings)  # shared by every node on PostgreSQL

    async def rate_limit(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path in UNMETERED or request.method == "OPTIONS":
            return await call_next(request)
        tightest = None
        keys = rate_keys(request, settings)
        quotas = (await run_in_threadpool(buckets.take_all, keys) if buckets.shared
                  else buckets.take_all(keys))
        for (_key, per_minute), quota in zip(keys, quotas, strict=False):
            if not quota.allowed:
                refused = _error("rate_limited", "请求太频繁，请稍后再试。",
                                 {"limit_per_minute": per_minute,
                                  "retry_after_seconds": math.ceil(quota.retry_after)}, 429)
                refused.headers.update(rate_headers(quota))
                return refused
            if quota.limit and (tightest is None or quota.remaining < tightest.remaining):
                tightest = quota
        response = await call_next(request)
        if tightest is not None:
            response.headers.update(rate_headers(tightest))
        return response

    async def metered(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        state = request.state  # created here so the endpoint's request shares it
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            app.state.metrics.record(request.method, getattr(state, "route", "unmatched"),
                                     status,
                                     time.perf_counter() - start)

    # Added innermost first: CORS wraps everything, so 413 and 429 carry its headers too.
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(BaseHTTPMiddleware, dispatch=rate_limit)
    app.add_middleware(BaseHTTPMiddleware, dispatch=metered)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                       allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "X-API-Key",
                                      "X-Request-ID", "Idempotency-Key"],
                       expose_headers=EXPOSED_HEADERS)
    # Outermost: every response, even a CORS refusal, 413 or 429, carries the request id.
    app.add_middleware(RequestIdMiddleware)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(JntError)
    async def _jnt_error(_: Request, exc: JntError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error("malformed_json", "请求内容不是有效的 JSON。",
                          [{"field": "body", "reason": "JSON 格式错误"}], 400)
        fields = [{"field": fields_.field_path(e["loc"]), "reason": fields_.reason(e)}
                  for e in errors]
        return _error("invalid_request", "请求参数有误。", fields, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {400: ("malformed_json", "请求内容无法解析，请发送有效的 JSON。"),
                    404: ("not_found", "找不到这个地址。"),
                    405: ("method_not_allowed", "不支持这种请求方法。")}
        code, message = messages.get(exc.status_code, ("http_error", "请求无法处理。"))
        return _error(code, message, None, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_disk_full(exc):  # no traceback: the log is on the same full disk
            log.error("disk full (%s)", type(exc).__name__)
            return _error("disk_full", DISK_FULL_MESSAGE, None, 507)
        log.exception("unexpected error")
        response = _error("internal", "服务内部错误，请稍后再试。", None, 500)
        response.headers["X-Request-ID"] = request_id.current()  # the id the log line has
        return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(file_modes.protect_home(settings), max_bytes=settings.log_max_bytes,
                   backup_count=settings.log_backup_count)
    check_sandbox(settings)  # refuses sandbox + real credentials; warns loudly when on
    app = FastAPI(title="技能通 API", version="1.0.0", docs_url=None, redoc_url=None,
                  description="政策问答、对话、培训项目匹配与管理接口。错误统一为 "
                              "{code, message, detail}。")
    app.state.settings = settings
    app.state.metrics = ops.Metrics()
    app.state.jobs = JobRunner.start(settings)  # sweeps what dead jobs left behind
    # Every node claims queued jobs, whichever node accepted them (api/jobs.py).
    app.router.on_startup.append(app.state.jobs.open)
    app.router.on_shutdown.append(app.state.jobs.close)
    # Follows the database's current index build when builds are shared (corpus/index_sync.py).
    app.state.index_sync = IndexSync(settings)
    app.router.on_startup.append(app.state.index_sync.start)
    app.router.on_shutdown.append(app.state.index_sync.stop)
    app.router.on_startup.append(lambda: warmup.start(settings))  # first answer not cold
    app.router.on_startup.append(lambda: db_migrate.warn_if_behind(settings))
    marked = [Depends(_mark_route)]
    app.include_router(ops.router, dependencies=marked)
    for module in (search, ask, chat, chat_stream, feedback, auth, eligibility, match, programs,
                   occupations, shortage, documents, catalog, jobs, handout, cases, vocabulary,
                   wechat):
        app.include_router(module.router, prefix="/v1", dependencies=marked)
    app.include_router(pages.router)
    app.include_router(docs_pages.router)
    openapi.install(app)  # the contract: security, ErrorOut, error codes (api/openapi.py)
    _handlers(app)
    _middleware(app, settings)
    return app
