"""How ``jnt`` reports a failure: one Chinese line on stderr, and with ``--json`` one
``{"error": {code, message, detail}}`` object on stdout — for every error, internal ones
and a full disk included — and a non-zero exit. Never a traceback.

Why a module of its own: scripts parse ``--json`` output, so a plain-text or traceback
fallback for "unexpected" errors broke exactly the runs that most needed a machine-readable
reason; and the last-resort handler must not itself fail (a full disk also fails the log
write that records the traceback).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click
import typer

from api import logs
from corpus.disk import is_disk_full
from corpus.errors import JntError

EXIT_ERROR = 2  # a failure the user can act on (README: "exit 2")
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130


def _usage(exc: BaseException) -> bool:
    """A bad option or argument; typer 0.29 vendors click, so both exception trees."""
    return isinstance(exc, typer.TyperException | click.ClickException) \
        and hasattr(exc, "format_message")


def classify(exc: BaseException) -> tuple[dict[str, Any], int]:
    """The error object and exit code for ``exc``."""
    if isinstance(exc, JntError):
        return exc.to_dict(), EXIT_ERROR
    if isinstance(exc, typer.Abort | click.exceptions.Abort | KeyboardInterrupt):
        return {"code": "interrupted", "message": "操作已取消。", "detail": None}, \
            EXIT_INTERRUPTED
    if _usage(exc):
        return {"code": "usage", "message": f"命令用法有误：{exc.format_message()}",  # type: ignore[attr-defined]
                "detail": None}, getattr(exc, "exit_code", None) or EXIT_ERROR
    if is_disk_full(exc):
        return {"code": "disk_full",
                "message": "磁盘空间已满，操作未完成。请清理磁盘空间后重试。",
                "detail": None}, EXIT_ERROR
    return {"code": "internal", "message": f"内部错误（{type(exc).__name__}），详情见日志。",
            "detail": {"error": type(exc).__name__}}, EXIT_INTERNAL


def _printable(text: str) -> str:
    """Lone surrogates (from a file name or argument) must not break the report itself."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _log(exc: BaseException, log_file: Path | None) -> None:
    """Record the traceback; on a full or unwritable disk there is nowhere to put it."""
    if log_file is None:
        return
    try:
        text = "".join(traceback.format_exception(exc))
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(logs.redact(f"{dt.datetime.now().isoformat()} ERROR jnt.cli: {text}\n"))
    except Exception:  # noqa: BLE001 - reporting must not fail in its turn
        pass


def report(exc: BaseException, as_json: bool, log_file: Path | None) -> int:
    """Print ``exc`` as the CLI reports errors and return the exit code."""
    error, code = classify(exc)
    if error["code"] in ("internal", "disk_full"):
        _log(exc, log_file)
        if error["code"] == "internal" and log_file is not None:
            error["message"] = f"内部错误（{type(exc).__name__}），详情见 {log_file}"
    if _usage(exc) and not as_json and hasattr(exc, "show"):
        exc.show()  # click's own usage text names the option that was wrong
        return code
    try:
        if as_json:
            sys.stdout.write(_printable(json.dumps({"error": error}, ensure_ascii=False,
                                                   default=str)) + "\n")
            sys.stdout.flush()
        sys.stderr.write(_printable(f"错误[{error['code']}]：{error['message']}") + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed pipe: the exit code still says it failed
        pass
    return code
