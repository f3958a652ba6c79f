"""The web pages the service serves itself (no CDN, works offline): the chat widget, its
demo page and the counselor console."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/widget.js")
def widget() -> FileResponse:
    return FileResponse(WEB / "widget.js", media_type="application/javascript; charset=utf-8")


@router.get("/demo")
def demo() -> FileResponse:
    return FileResponse(WEB / "demo.html", media_type="text/html; charset=utf-8")


@router.get("/console")
def console() -> FileResponse:
    return FileResponse(WEB / "console.html", media_type="text/html; charset=utf-8")


@router.get("/console.js")
def console_js() -> FileResponse:
    return FileResponse(WEB / "console.js", media_type="application/javascript; charset=utf-8")


@router.get("/console.css")
def console_css() -> FileResponse:
    return FileResponse(WEB / "console.css", media_type="text/css; charset=utf-8")
