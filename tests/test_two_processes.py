"""Two service processes on one PostgreSQL database serve the same conversation
alternately without losing a turn: nothing that matters lives in one process's memory.

Real `jnt serve` processes on 127.0.0.1, sharing a home (the index) and a fresh
PostgreSQL schema (the database)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.postgres import fresh_schema

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def two_services(shipped_settings, postgres_database, tmp_path_factory) -> Iterator[list[str]]:
    home = tmp_path_factory.mktemp("shared-home") / "home"
    shutil.copytree(shipped_settings.home / "index", home / "index")
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1",
           "JNT_DATABASE_URL": fresh_schema(postgres_database),
           "JNT_SECRET_KEY": "two-processes-share-this-secret"}
    jnt = [sys.executable, "-m", "api.cli"]
    subprocess.run([*jnt, "setup"], env=env, cwd=ROOT, check=True, capture_output=True)
    ports = [_port(), _port()]
    procs = [subprocess.Popen([*jnt, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.time() + 180
        for base in bases:
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline, "services did not become ready"
                time.sleep(1)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def test_two_processes_serve_one_conversation_alternately(two_services: list[str]) -> None:
    first, second = two_services
    session = httpx.post(f"{first}/v1/chat/sessions", json={}, timeout=60).json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    said = ["我当过兵，在赣州", "能参加补贴培训吗？", "网课也算吗？", "不对，我在九江"]
    for i, text in enumerate(said):
        base = two_services[i % 2]
        reply = httpx.post(f"{base}/v1/chat/sessions/{session['session_id']}/messages",
                           json={"text": text}, headers=auth, timeout=120)
        assert reply.status_code == 200, reply.text
    for base in (first, second):
        history = httpx.get(f"{base}/v1/chat/sessions/{session['session_id']}/messages",
                            headers=auth, timeout=60).json()
        users = [t["text"] for t in history["turns"] if t["role"] == "user"]
        assert users == said
        assert len(history["turns"]) == 2 * len(said)
