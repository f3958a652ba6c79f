"""``/docs`` and ``/redoc`` from local assets: the service runs where no CDN is reachable
(a job center's intranet), and FastAPI's default pages load Swagger UI and ReDoc from one.
The assets are the MIT-licensed copies the ``fastapi-offline`` package ships."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from corpus.errors import NotFound

ASSETS = Path(fastapi_offline.__file__).parent / "static"
SERVED = {"swagger-ui-bundle.js": "application/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8",
          "redoc.standalone.js": "application/javascript; charset=utf-8",
          "favicon.png": "image/png"}
PREFIX = "/docs-assets"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} · 接口文档",
        swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{PREFIX}/swagger-ui.css", swagger_favicon_url=f"{PREFIX}/favicon.png")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=request.app.openapi_url,
                          title=f"{request.app.title} · 接口文档",
                          redoc_js_url=f"{PREFIX}/redoc.standalone.js",
                          redoc_favicon_url=f"{PREFIX}/favicon.png", with_google_fonts=False)


@router.get(PREFIX + "/{name}")
def asset(name: str) -> FileResponse:
    if name not in SERVED:
        raise NotFound("没有这个文件。", code="not_found", detail={"name": name})
    return FileResponse(ASSETS / name, media_type=SERVED[name],
                        headers={"Cache-Control": "public, max-age=86400"})
