"""Jobs are data any node claims exactly once, with their files carried in the database;
rate-limit buckets shared through PostgreSQL hold across nodes and never take the service
down. On SQLite and on PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from api import job_kinds
from api.jobs import JobRunner
from api.models import Job, JobPayload
from api.rate_store import SharedBuckets
from corpus.db import get_engine
from corpus.settings import Settings

RUNS: list[tuple[str, str]] = []  # (job id, runner owner) per run
RUNS_LOCK = threading.Lock()


@job_kinds.kind("test_count")
def _count(ctx: job_kinds.JobContext) -> dict[str, Any]:
    with RUNS_LOCK:
        RUNS.append((ctx.params["n"], ctx.params.get("owner", "")))
    return {"n": ctx.params["n"]}


@job_kinds.kind("test_files")
def _files(ctx: job_kinds.JobContext) -> dict[str, Any]:
    assert ctx.folder is not None
    return {"folder": str(ctx.folder),
            "files": {p.name: p.read_text(encoding="utf-8")
                      for p in sorted(ctx.folder.iterdir())}}


def _settings(tmp_path: Path, name: str, database_url: str | None) -> Settings:
    return Settings(home=tmp_path / name, database_url=database_url,  # type: ignore[arg-type]
                    job_heartbeat_seconds=3600)


def test_each_queued_job_is_claimed_by_exactly_one_runner(tmp_path: Path,
                                                          database_url: str | None) -> None:
    homes = ["a", "b", "c", "d"] if database_url else ["a"] * 4  # SQLite: one home's file
    runners = [JobRunner(_settings(tmp_path, home, database_url)) for home in homes]
    RUNS.clear()
    runners[0].open = lambda: None  # type: ignore[method-assign]  # no claim thread here
    ids = [runners[0].submit("test_count", {"n": str(n)}) for n in range(24)]

    def drain(runner: JobRunner) -> None:
        while runner.run_next():
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(n for n, _ in RUNS) == {str(n): 1 for n in range(24)}
    with runners[0].db() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(ids))).all()
        assert {j.status for j in jobs} == {"done"} and {j.attempts for j in jobs} == {1}
        assert {j.owner for j in jobs} <= {r.owner for r in runners}


def test_an_upload_travels_with_its_job_to_the_claiming_node(tmp_path: Path,
                                                            database_url: str | None) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "通知.txt").write_text("第一条 补贴对象。", encoding="utf-8")
    (upload / "b.meta.yaml").write_text("title: 通知\n", encoding="utf-8")
    accepting = JobRunner(_settings(tmp_path, "a", database_url))
    accepting.open = lambda: None  # type: ignore[method-assign]  # it only accepts
    job_id = accepting.submit("test_files", {}, upload)
    claiming = JobRunner(_settings(tmp_path, "b" if database_url else "a", database_url))
    assert claiming.run_next()
    with claiming.db() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "done", job.error
        assert job.result["files"] == {"b.meta.yaml": "title: 通知\n",  # type: ignore[index]
                                       "通知.txt": "第一条 补贴对象。"}
        folder = Path(job.result["folder"])  # type: ignore[index]
        assert folder.parent == claiming.settings.home / "uploads"
        assert not folder.exists()  # removed when the job ended
        assert session.get(JobPayload, job_id) is None


def test_unknown_kinds_are_refused_at_submit(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        JobRunner(_settings(tmp_path, "a", None)).submit("no_such_kind")


def test_shared_buckets_allow_the_limit_across_concurrent_nodes(
        database_url: str | None) -> None:
    if database_url is None:
        pytest.skip("shared buckets are for PostgreSQL")
    nodes = [SharedBuckets(create_engine(database_url, poolclass=NullPool)) for _ in range(4)]
    get_engine(database_url)  # creates the tables
    allowed: list[bool] = []
    waits: list[float] = []
    lock = threading.Lock()

    def client(node: SharedBuckets) -> None:
        for _ in range(15):
            (quota,) = node.take_all([("key:partner", 30)])
            with lock:
                allowed.append(quota.allowed)
                if not quota.allowed:
                    waits.append(quota.retry_after)

    threads = [threading.Thread(target=client, args=(n,)) for n in nodes for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # 120 draws on a 30-a-minute bucket: the burst of 30, plus at most a refill or two.
    assert 30 <= sum(allowed) <= 32
    assert waits and all(0 < w <= 2.0 for w in waits)


def test_shared_buckets_fail_open_to_the_nodes_own_limit() -> None:
    dead = SharedBuckets(create_engine(
        "postgresql+psycopg://nobody:x@127.0.0.1:1/none?connect_timeout=1",
        poolclass=NullPool))
    quotas = [dead.take_all([("addr:1.2.3.4", 3)])[0] for _ in range(4)]
    assert [q.allowed for q in quotas] == [True, True, True, False]
