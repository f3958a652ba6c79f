"""Two `jnt serve` nodes, each with its own JNT_HOME, on one PostgreSQL database form one
service: a rate limit holds across both, a job whose node is killed with -9 is finished by
the other, and a document uploaded through one becomes searchable on the other.

Real processes on 127.0.0.1, a fresh PostgreSQL schema, short leases and heartbeats (env)
so a dead node is noticed in seconds; ``JNT_JOB_TEST_DELAY_SECONDS`` makes every job slow
enough to be killed mid-way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.postgres import fresh_schema

ROOT = Path(__file__).resolve().parent.parent
KEY = "two-nodes-partner-key"
KEY_LIMIT = 20
PASSWORD = "two-nodes-admin-1"


@dataclass
class Node:
    base: str
    proc: subprocess.Popen[bytes]


@dataclass
class Cluster:
    nodes: list[Node]
    database_url: str


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(base: str, deadline: float) -> None:
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.time() < deadline, f"{base} did not become ready"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(shipped_settings, postgres_database, tmp_path_factory) -> Iterator[Cluster]:
    database_url = fresh_schema(postgres_database)
    shared = {**os.environ, "HF_HUB_OFFLINE": "1", "JNT_DATABASE_URL": database_url,
              "JNT_SECRET_KEY": "two-nodes-share-this-secret",
              "JNT_API_KEYS": f"partner:{KEY}",
              "JNT_RATE_LIMIT_KEY_PER_MINUTE": str(KEY_LIMIT),
              "JNT_JOB_LEASE_SECONDS": "10", "JNT_JOB_HEARTBEAT_SECONDS": "1",
              "JNT_JOB_POLL_SECONDS": "0.5", "JNT_JOB_MAX_ATTEMPTS": "2",
              "JNT_JOB_TEST_DELAY_SECONDS": "4", "JNT_INDEX_SYNC_SECONDS": "2"}
    jnt = [sys.executable, "-m", "api.cli"]
    envs = []
    for name in ("node-a", "node-b"):
        home = tmp_path_factory.mktemp(name) / "home"
        shutil.copytree(shipped_settings.home / "index", home / "index")
        env = {**shared, "JNT_HOME": str(home)}
        subprocess.run([*jnt, "setup"], env=env, cwd=ROOT, check=True, capture_output=True)
        envs.append(env)
    subprocess.run([*jnt, "users", "add", "admin", "--role", "admin", "--password", PASSWORD],
                   env=envs[0], cwd=ROOT, check=True, capture_output=True)
    nodes = []
    for env in envs:
        port = _port()
        proc = subprocess.Popen([*jnt, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        nodes.append(Node(f"http://127.0.0.1:{port}", proc))
    try:
        deadline = time.time() + 180
        for node in nodes:
            _ready(node.base, deadline)
        yield Cluster(nodes, database_url)
    finally:
        for node in nodes:
            if node.proc.poll() is None:
                node.proc.terminate()
            node.proc.wait(timeout=30)


def _admin(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                   timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _upload(base: str, name: str, body: str) -> str:
    r = httpx.post(f"{base}/v1/documents", headers=_admin(base), timeout=60,
                   files=[("files", (name, body.encode("utf-8"), "text/plain"))])
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def _wait_done(base: str, job_id: str, seconds: float) -> dict:
    headers = _admin(base)
    deadline = time.time() + seconds
    while time.time() < deadline:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", headers=headers, timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end in {seconds} s")


def _job_row(cluster: Cluster, job_id: str) -> dict:
    engine = create_engine(cluster.database_url, poolclass=NullPool)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, owner, attempts FROM jobs WHERE id = :id"),
                           {"id": job_id}).mappings().one()
    engine.dispose()
    return dict(row)


def test_a_rate_limit_holds_across_both_nodes(cluster: Cluster) -> None:
    statuses: list[tuple[int, int, str | None]] = []
    start = time.monotonic()
    for i in range(KEY_LIMIT + 10):
        node = i % 2
        r = httpx.get(f"{cluster.nodes[node].base}/v1/vocabulary",
                      headers={"X-API-Key": KEY}, timeout=30)
        statuses.append((node, r.status_code, r.headers.get("Retry-After")))
    refills = (time.monotonic() - start) * KEY_LIMIT / 60  # tokens that came back meanwhile
    allowed = sum(1 for _, status, _ in statuses if status == 200)
    assert KEY_LIMIT <= allowed <= KEY_LIMIT + 1 + refills, statuses
    refused = [(node, retry) for node, status, retry in statuses if status == 429]
    assert {node for node, _ in refused} == {0, 1}  # each node refuses, not only one
    assert all(retry and int(retry) >= 1 for _, retry in refused)


def test_an_upload_on_one_node_becomes_searchable_on_the_other(cluster: Cluster) -> None:
    """Needs the index sharing of corpus/index_sync.py (nodes pick up a newer published
    build every JNT_INDEX_SYNC_SECONDS)."""
    first, second = cluster.nodes
    text_ = "第一条 两节点检索测试：鲲鹏焊接专项培训补贴对象为登记失业人员。\n"
    job = _wait_done(first.base, _upload(first.base, "两节点检索测试通知.txt", text_), 120)
    assert job["status"] == "done", job["error"]
    (doc_id,) = job["result"]["added"]
    deadline = time.time() + 30
    found: list[str] = []
    while time.time() < deadline:
        r = httpx.get(f"{second.base}/v1/search", params={"q": "鲲鹏焊接专项培训", "k": 5},
                      timeout=30)
        assert r.status_code == 200, r.text
        found = [hit["doc_id"] for hit in r.json()["results"]]
        if doc_id in found:
            return
        time.sleep(1)
    raise AssertionError(f"{doc_id} not searchable on the other node within 30 s: {found}")


def test_a_job_whose_node_is_killed_is_finished_by_the_other(cluster: Cluster) -> None:
    first, _second = cluster.nodes
    job_id = _upload(first.base, "两节点接力测试通知.txt",
                     "第一条 两节点接力测试：本办法适用于参加技能培训的退役军人。\n")
    deadline = time.time() + 30
    while (row := _job_row(cluster, job_id))["status"] != "running":
        assert time.time() < deadline, row
        time.sleep(0.2)
    # Kill whichever node claimed it (the accepting node is woken at once, so nearly
    # always the first); the owner id is "host:pid:nonce".
    pid = int(row["owner"].split(":")[1])
    (victim,) = [n for n in cluster.nodes if n.proc.pid == pid]
    (survivor,) = [n for n in cluster.nodes if n is not victim]
    os.kill(pid, signal.SIGKILL)
    victim.proc.wait(timeout=10)

    job = _wait_done(survivor.base, job_id, 120)
    assert job["status"] == "done", job["error"]
    assert job["result"]["added"]
    row = _job_row(cluster, job_id)
    assert row["attempts"] == 2 and str(row["owner"]).split(":")[1] == str(survivor.proc.pid)
