"""``jnt --json`` reports every failure as a JSON error object with a non-zero exit — an
unexpected exception and a full disk included — and never prints a traceback."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

import matcher.catalog
from api import cli_errors
from tests.test_catalog_import import run_main


def fail_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def boom(*_: object, **__: object) -> None:
        raise exc
    monkeypatch.setattr(matcher.catalog, "list_programs", boom)


def test_an_internal_error_is_json_and_logged(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fail_with(monkeypatch, RuntimeError("boom"))
    code, out, err = run_main(tmp_path, "catalog", "list", "--json")
    assert code != 0
    error = json.loads(out)["error"]
    assert error["code"] == "internal" and "内部错误" in error["message"]
    assert "Traceback" not in out + err
    assert "RuntimeError: boom" in (tmp_path / "logs" / "jnt.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("as_json", [True, False])
def test_a_full_disk_is_a_chinese_disk_full_error(tmp_path: Path, as_json: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fail_with(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run_main(tmp_path, "catalog", "list", *(["--json"] if as_json else []))
    assert code == 2
    assert "Traceback" not in out + err
    assert "错误[disk_full]：磁盘空间已满" in err
    if as_json:
        assert json.loads(out)["error"]["code"] == "disk_full"


def test_sqlite_full_database_is_disk_full_too(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    fail_with(monkeypatch, OperationalError("INSERT", {}, Exception("database or disk is full")))
    code, out, _ = run_main(tmp_path, "catalog", "list", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "disk_full"


def test_a_usage_error_is_json_with_json(tmp_path: Path) -> None:
    code, out, err = run_main(tmp_path, "catalog", "list", "--limit", "many", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "usage"
    assert "Traceback" not in out + err


def test_reporting_survives_an_unwritable_log(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """On a full disk the log write fails as well; the report must still come out."""
    exc = OSError(errno.ENOSPC, "No space left on device")
    assert cli_errors.report(exc, True, tmp_path) == 2  # a directory: open() fails
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "disk_full"


def test_an_unencodable_message_is_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    from corpus.errors import InvalidInput

    assert cli_errors.report(InvalidInput("文件“\ud800”无效。"), True, None) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "invalid_input"
