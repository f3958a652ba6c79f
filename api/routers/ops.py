"""Operations: ``/healthz`` (the process answers), ``/readyz`` (database and home writable,
index loaded),
``/metrics`` (Prometheus text: requests by route and status, latency histogram).

Metrics are per process, which is what Prometheus expects of each scraped target."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import false, text, update

from api.db_migrate import is_current
from api.deps import SettingsDep, get_db
from api.error_codes import raises
from api.models import User
from api.schemas import HealthOut, ReadyOut
from corpus import home
from corpus.index import IndexStore

router = APIRouter(tags=["运维"])
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            counts = self.buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.sums[route] += seconds
            self.counts[route] += 1

    def render(self) -> str:
        lines = ["# HELP jnt_requests_total HTTP requests by route and status.",
                 "# TYPE jnt_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'jnt_requests_total{{method="{method}",route="{_esc(route)}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP jnt_request_seconds Request latency.",
                      "# TYPE jnt_request_seconds histogram"]
            for route in sorted(self.counts):
                label = f'route="{_esc(route)}"'
                for bound, n in zip(BUCKETS, self.buckets[route], strict=True):
                    lines.append(f'jnt_request_seconds_bucket{{{label},le="{bound}"}} {n}')
                lines.append(f'jnt_request_seconds_bucket{{{label},le="+Inf"}} '
                             f"{self.counts[route]}")
                lines.append(f"jnt_request_seconds_sum{{{label}}} {self.sums[route]:.6f}")
                lines.append(f"jnt_request_seconds_count{{{label}}} {self.counts[route]}")
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@router.get("/healthz", response_model=HealthOut, summary="存活检查",
            description="进程能应答即为 ok。公开，不限流。")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, summary="就绪检查",
            description="数据库可读写且结构为最新版本、数据目录可写且空间充足、索引已加载时为 "
                        "ready，否则 503 not_ready（detail.failed 列出哪一项：database、schema、"
                        "home、disk、index）。公开，不限流。",
            openapi_extra=raises("not_ready"))
def readyz(settings: SettingsDep, db: Annotated[object, Depends(get_db)]) -> JSONResponse:
    """Ready only with a database that answers and a published index loaded; a new home is
    not built here (that takes minutes) — ``jnt setup`` or an ingest does it."""
    problems: list[str] = []
    try:
        with db() as session:  # type: ignore[operator]
            session.execute(text("SELECT 1"))
            _database_writable(session)
            if not is_current(session.connection()):  # type: ignore[attr-defined]
                problems.append("schema")  # `jnt db upgrade` was not run for this version
    except Exception:  # noqa: BLE001
        problems.append("database")
    if not _home_writable(settings.home):
        problems.append("home")
    elif _low_on_space(settings.home, settings.ready_min_free_bytes):
        problems.append("disk")
    if IndexStore(settings.index_dir).current() is None:
        problems.append("index")
    else:
        try:
            home.searcher(settings).index()
        except Exception:  # noqa: BLE001
            problems.append("index")
    if problems:
        return JSONResponse({"code": "not_ready", "message": "服务尚未就绪，请稍后再试。",
                             "detail": {"failed": problems}}, status_code=503)
    if settings.wechat_sandbox:  # visible to whoever checks the deployment
        return JSONResponse({"status": "ready", "wechat_sandbox": True})
    return JSONResponse({"status": "ready"})


def _database_writable(session: object) -> None:
    """A write that touches no row, rolled back: a read-only file, role or replica (and
    SQLite on a read-only mount) fail it, where ``SELECT 1`` still answers."""
    try:
        session.execute(update(User).where(false()).values(role=User.role))  # type: ignore[attr-defined]
    finally:
        session.rollback()  # type: ignore[attr-defined]


def _home_writable(home: Path) -> bool:
    """Uploads, jobs, logs and the SQLite journal are written under the home: a probe file
    written and synced (a full disk fails at the sync), then removed."""
    probe = home / f".ready-{uuid.uuid4().hex}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


def _low_on_space(home: Path, min_free: int) -> bool:
    """A nearly full disk still takes the 2-byte probe, then fails the next ingest or chat
    write: below ``ready_min_free_bytes`` free the node is not ready."""
    try:
        return min_free > 0 and shutil.disk_usage(home).free < min_free
    except OSError:
        return True


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus 指标",
            description="按路由和状态码的请求数与延迟直方图（Prometheus 文本格式）。公开，不限流。",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}, "example":
                "# TYPE jnt_requests_total counter\n"
                'jnt_requests_total{method="GET",route="/healthz",status="200"} 1\n'}}}})
def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.app.state.metrics.render(),
                             media_type="text/plain; version=0.0.4")
