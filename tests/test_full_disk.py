"""A full disk changes nothing: a real `jnt serve` on a small tmpfs home (SQLite).

With the disk nearly full an upload's ingest job fails with ``disk_full`` and leaves the
document list and the published index as they were; with it completely full a chat
message is refused with a JSON ``disk_full`` (507), no half-written turn; ``/readyz`` says
not ready; once space is freed everything works again, without a restart.

Needs root (``mount -t tmpfs``), as in CI; skipped otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.users import create_user
from corpus.db import get_engine
from corpus.home import library
from corpus.settings import Settings
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
TMPFS_SIZE = "64m"
NEARLY_FULL = 1_000_000  # room for an upload and its job rows, not for a 3 MB index build
POLICY = """---
id: full-disk-test-policy
title: 磁盘测试补贴办法
region: 全国
---
第一条 本办法适用于参加磁盘测试培训的登记失业人员。

第二条 培训合格后可申领磁盘测试补贴，每人每年一次。
"""


@dataclass
class Service:
    base: str
    settings: Settings
    admin: dict[str, str]
    filler: Path

    def fill(self, leave: int) -> None:
        """Fill the home's disk until ``leave`` bytes (about) are free."""
        chunk = b"\0" * (1 << 20)
        with self.filler.open("ab") as fh:
            try:
                while True:
                    fh.write(chunk)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        size = self.filler.stat().st_size
        os.truncate(self.filler, max(size - leave, 0))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mount(folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    folder.mkdir(parents=True)
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700",
                          "tmpfs", str(folder)], capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")


@pytest.fixture()
def service(tmp_path: Path, shipped_settings: Settings) -> Iterator[Service]:
    home = tmp_path / "home"
    _mount(home)
    proc = None
    settings = make_settings(home)
    try:
        shutil.copytree(shipped_settings.home / "index", home / "index")  # vectors reused
        library(settings).ensure_shipped()
        create_user(settings, "root", "root-secret-1", "admin")
        get_engine(settings.db_url).dispose()  # the service alone holds the database
        port = _port()
        env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1",
               "JNT_SECRET_KEY": "full-disk-test-secret"}
        env.pop("JNT_DATABASE_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        token = httpx.post(f"{base}/v1/auth/login", json={"username": "root",
                                                          "password": "root-secret-1"},
                           timeout=30).json()["token"]
        yield Service(base, settings, {"Authorization": f"Bearer {token}"},
                      home / "filler.bin")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        with contextlib.suppress(Exception):
            get_engine(settings.db_url).dispose()
        subprocess.run(["umount", "-l", str(home)], capture_output=True)


def _wait_ready(base: str, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail("the service did not become ready")


def _upload(svc: Service) -> dict:
    r = httpx.post(f"{svc.base}/v1/documents", headers=svc.admin, timeout=60,
                   files=[("files", ("磁盘测试.md", POLICY.encode(), "text/markdown"))])
    assert r.status_code == 202, r.text
    url = f"{svc.base}/v1/jobs/{r.json()['job_id']}"
    deadline = time.time() + 300
    while time.time() < deadline:
        job = httpx.get(url, headers=svc.admin, timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    pytest.fail("the ingest job did not finish")


def _documents(svc: Service) -> list[str]:
    r = httpx.get(f"{svc.base}/v1/documents", headers=svc.admin, timeout=30)
    assert r.status_code == 200, r.text
    return [d["id"] for d in r.json()]


def _current(svc: Service) -> str:
    return (svc.settings.index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def _turns(svc: Service, session: dict) -> list[dict]:
    r = httpx.get(f"{svc.base}/v1/chat/sessions/{session['session_id']}/messages",
                  headers={"Authorization": f"Bearer {session['token']}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["turns"]


def _say(svc: Service, session: dict, text: str) -> httpx.Response:
    return httpx.post(f"{svc.base}/v1/chat/sessions/{session['session_id']}/messages",
                      json={"text": text}, timeout=120,
                      headers={"Authorization": f"Bearer {session['token']}"})


def _checkpoint(svc: Service) -> None:
    """Empty the WAL, so the next write needs new space (SQLite reuses an old WAL)."""
    conn = sqlite3.connect(svc.settings.home / "jnt.db", timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def test_a_full_disk_changes_nothing_and_freeing_it_is_enough(service: Service) -> None:
    svc = service
    session = httpx.post(f"{svc.base}/v1/chat/sessions", json={}, timeout=60).json()
    assert _say(svc, session, "我当过兵，能参加补贴培训吗？").status_code == 200
    docs, build = _documents(svc), _current(svc)
    builds = sorted(p.name for p in (svc.settings.index_dir / "builds").iterdir())

    # (a) nearly full: the ingest job fails cleanly, nothing changes
    svc.fill(leave=NEARLY_FULL)
    job = _upload(svc)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "disk_full", job
    assert "磁盘空间已满" in job["error"]["message"]
    assert _documents(svc) == docs and _current(svc) == build
    assert sorted(p.name for p in (svc.settings.index_dir / "builds").iterdir()) == builds

    # (c) not ready while the disk is (nearly) full
    r = httpx.get(f"{svc.base}/readyz", timeout=30)
    assert r.status_code == 503 and r.json()["code"] == "not_ready"

    # (b) completely full: a chat message is refused as JSON, and no half a turn is stored
    before = _turns(svc, session)
    _checkpoint(svc)
    svc.fill(leave=0)
    r = _say(svc, session, "网课也算吗？")
    assert r.status_code == 507, r.text
    assert r.json()["code"] == "disk_full" and "磁盘空间已满" in r.json()["message"]
    assert "Traceback" not in r.text
    assert _turns(svc, session) == before
    assert httpx.get(f"{svc.base}/readyz", timeout=30).status_code == 503

    # (d) space freed: everything works again, same process
    svc.free()
    _wait_ready(svc.base, timeout=30)
    assert _say(svc, session, "网课也算吗？").status_code == 200
    assert len(_turns(svc, session)) == len(before) + 2
    job = _upload(svc)
    assert job["status"] == "done", job
    assert "full-disk-test-policy" in _documents(svc) and _current(svc) != build
    hits = httpx.get(f"{svc.base}/v1/search", params={"q": "磁盘测试补贴", "k": 3},
                     timeout=60).json()
    assert any(h["doc_id"] == "full-disk-test-policy" for h in hits["results"]), hits
