"""The home's database, uploads and logs are the service user's alone: 0600 files, 0700
folders, from creation (and tightened when an older version left them 0644)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from corpus.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def loose_umask() -> Iterator[None]:
    """The usual 022, as a service user's shell would have; restored afterwards."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_cli_creates_a_private_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("JNT_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "api.cli", "users", "add", "root", "--role", "admin",
         "--password", "root-secret-1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: os.umask(0o022))  # noqa: PLW1509 (a umask only)
    assert proc.returncode == 0, proc.stderr
    assert mode(home / "jnt.db") == 0o600
    assert mode(home / "logs") == 0o700 and mode(home / "logs" / "jnt.log") == 0o600
    assert mode(home / "uploads") == 0o700
    others = [p for p in home.rglob("*") if p.stat().st_mode & 0o077 and
              p.parent.name in {"logs", "uploads"}]
    assert others == []


def test_the_service_tightens_an_old_home_and_creates_private_files(
        tmp_path: Path, loose_umask: None) -> None:
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    (home / "uploads" / "abc").mkdir(parents=True)
    old = [home / "jnt.db", home / "jnt.db-wal", home / "logs" / "jnt.log.1",
           home / "uploads" / "abc" / "政策.docx"]
    for path in old:
        path.write_bytes(b"")
        path.chmod(0o644)
    for folder in (home / "logs", home / "uploads", home / "uploads" / "abc"):
        folder.chmod(0o755)

    client = TestClient(create_app(Settings(home=home)))
    assert client.get("/healthz").status_code == 200
    assert {p.name: mode(p) for p in old} == {p.name: 0o600 for p in old}
    assert mode(home / "logs") == mode(home / "uploads") == mode(home / "uploads/abc") == 0o700

    # What the service writes later (an upload's folder and file, as api/uploads.py does).
    folder = home / "uploads" / "new"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"x")
    assert mode(folder) == 0o700 and mode(folder / "a.txt") == 0o600


def test_a_fresh_database_file_is_private(tmp_path: Path, loose_umask: None) -> None:
    from api.file_modes import protect_home

    home = protect_home(Settings(home=tmp_path / "fresh"))
    assert mode(home / "jnt.db") == 0o600
