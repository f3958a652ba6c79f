"""Jobs whose node died are run again by another, then failed — not left ``running``
forever; over-deadline jobs fail; a starting service clears what dead jobs left behind; a
job can be cancelled. A killed node is simulated by a job row whose lease lapsed (no
process is killed here; tests/test_two_nodes.py kills real ones)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from api import job_kinds
from api.app import create_app
from api.job_sweep import sweep
from api.jobs import JobRunner, reclaim_expired, settle
from api.models import Job, JobPayload, utc_now
from api.users import create_user, user_sessions
from corpus.settings import Settings
from corpus.write_lock import write_lock

LEASE = 60
GATES: dict[str, threading.Event] = {}


@job_kinds.kind("test_gate")
def _gate(ctx: job_kinds.JobContext) -> dict[str, Any]:
    """Waits for ``GATES[params["gate"]]``, reporting progress 0.5 first."""
    ctx.progress(0.5)
    GATES[ctx.params["gate"] + ":started"].set()
    GATES[ctx.params["gate"]].wait(10)
    for step in range(int(ctx.params.get("steps", 0))):
        ctx.progress(0.5 + step / 200)
        time.sleep(0.02)
    return {"finished": "yes"}


def gate(name: str) -> tuple[threading.Event, threading.Event]:
    GATES[name], GATES[name + ":started"] = threading.Event(), threading.Event()
    return GATES[name], GATES[name + ":started"]


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", job_lease_seconds=LEASE,  # type: ignore[arg-type]
                    job_heartbeat_seconds=3600)


@pytest.fixture()
def db(settings: Settings) -> sessionmaker:
    return user_sessions(settings)


def add_job(db: sessionmaker, status: str = "running", lease: float | None = -10,
            **values: object) -> str:
    """A job row as a (possibly dead) node left it; ``lease`` in seconds from now."""
    expires = None if lease is None else utc_now() + dt.timedelta(seconds=lease)
    values = {"params": {}, "attempts": 1, "max_attempts": 2, **values}
    with db() as session, session.begin():
        job = Job(kind="reindex", status=status, owner="dead-host:4242:deadbeef",
                  lease_expires_at=expires, **values)
        session.add(job)
    return job.id


def get(db: sessionmaker, job_id: str) -> Job:
    with db() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_lapsed_leases_are_retried_then_failed_live_ones_are_not(db: sessionmaker) -> None:
    retried = add_job(db)  # first attempt: queued again for any node
    last = add_job(db, attempts=2)  # its attempts are spent: lost
    legacy_params = add_job(db, params=None)  # an older version's closure: cannot re-run
    cancelled = add_job(db, cancel_requested=True)
    alive = add_job(db, lease=30)
    old = utc_now() - dt.timedelta(hours=2)  # made before leases existed: no lease at all
    legacy = add_job(db, lease=None, updated_at=old, created_at=old)
    finished = add_job(db, status="done")
    queued = add_job(db, status="queued", lease=None, attempts=0, updated_at=old)
    with db() as session, session.begin():
        session.add(JobPayload(job_id=last, data=b"tar"))
        session.add(JobPayload(job_id=retried, data=b"tar"))
    with db() as session, session.begin():
        touched = reclaim_expired(session, LEASE)
    assert set(touched) == {retried, last, legacy_params, cancelled, legacy}
    for job_id in (retried, legacy):
        job = get(db, job_id)
        assert job.status == "queued" and job.owner is None and job.lease_expires_at is None
    for job_id in (last, legacy_params):
        job = get(db, job_id)
        assert job.status == "failed" and job.lease_expires_at is None
        assert job.error["code"] == "job_lost" and "任务中断" in job.error["message"]
    assert get(db, cancelled).error["code"] == "cancelled"
    assert get(db, alive).status == "running"
    assert get(db, finished).status == "done"
    assert get(db, queued).status == "queued"  # waiting is not dying
    with db() as session:  # the payload goes when the job ends, stays while it may re-run
        assert session.get(JobPayload, last) is None
        assert session.get(JobPayload, retried) is not None


def test_overdue_jobs_fail_with_job_timeout_on_any_node(settings: Settings,
                                                       db: sessionmaker) -> None:
    overdue = add_job(db, lease=30, deadline_at=utc_now() - dt.timedelta(seconds=1))
    on_time = add_job(db, lease=30, deadline_at=utc_now() + dt.timedelta(hours=1))
    with db() as session, session.begin():
        assert settle(session, settings) == [overdue]
    job = get(db, overdue)
    assert job.status == "failed" and job.error["code"] == "job_timeout"
    assert "超时" in job.error["message"]
    assert get(db, on_time).status == "running"


def test_a_job_past_its_time_limit_stops_at_its_next_progress_step(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", job_time_limit_seconds=0,  # type: ignore[arg-type]
                        job_heartbeat_seconds=3600)
    runner = JobRunner(settings)
    release, _started = gate("timeout")
    release.set()
    job_id = runner.submit("test_gate", {"gate": "timeout", "steps": 3})
    assert runner.join(30)
    job = get(runner.db, job_id)
    assert job.status == "failed" and job.error["code"] == "job_timeout", job.error
    runner.close()


def test_a_running_job_renews_its_lease_and_reclaims_dead_ones(settings: Settings,
                                                               db: sessionmaker) -> None:
    runner = JobRunner(settings)
    release, started = gate("renew")
    job_id = runner.submit("test_gate", {"gate": "renew"})
    assert started.wait(10)
    with db() as session, session.begin():  # as if the last beat was long ago
        session.get(Job, job_id).lease_expires_at = utc_now() + dt.timedelta(seconds=1)
    dead = add_job(db, attempts=2)
    runner.heartbeat()
    mine = get(db, job_id)
    assert mine.status == "running" and mine.owner == runner.owner and mine.attempts == 1
    assert mine.lease_expires_at > utc_now() + dt.timedelta(seconds=LEASE - 10)
    assert get(db, dead).status == "failed"
    release.set()
    assert runner.join(30)
    done = get(db, job_id)
    assert done.status == "done" and done.lease_expires_at is None
    assert done.result == {"finished": "yes"}
    runner.close()


def test_a_requeued_job_is_run_again_by_another_runner(settings: Settings,
                                                       db: sessionmaker) -> None:
    lapsed = add_job(db, params={"gate": "rerun"})
    release, _started = gate("rerun")
    release.set()
    with db() as session, session.begin():
        session.get(Job, lapsed).kind = "test_gate"
        reclaim_expired(session, LEASE)
    runner = JobRunner(settings)
    assert runner.run_next()
    job = get(db, lapsed)
    assert job.status == "done" and job.attempts == 2 and job.owner == runner.owner


def test_a_poll_settles_a_lapsed_job(settings: Settings, db: sessionmaker) -> None:
    create_user(settings, "admin", "admin-secret-1", "admin")
    client = TestClient(create_app(settings))
    token = client.post("/v1/auth/login", json={"username": "admin",
                                                "password": "admin-secret-1"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    dead = add_job(db, attempts=2)  # lapses after the app started, so the sweep missed it
    body = client.get(f"/v1/jobs/{dead}", headers=headers).json()
    assert body["status"] == "failed" and body["error"]["code"] == "job_lost"

    # Cancelling: a queued job stops before it runs, and its work never starts.
    runner: JobRunner = client.app.state.jobs  # type: ignore[attr-defined]
    release, started = gate("cancel")
    runner.submit("test_gate", {"gate": "cancel"})
    assert started.wait(10)
    _, never = gate("never")
    queued = runner.submit("test_gate", {"gate": "never"})
    body = client.post(f"/v1/jobs/{queued}/cancel", headers=headers).json()
    assert body["status"] == "failed" and body["error"]["code"] == "cancelled"
    release.set()
    assert runner.join(30)
    assert not never.is_set() and get(db, queued).status == "failed"
    runner.close()


def _old(path: Path) -> Path:
    stamp = time.time() - 2 * LEASE
    os.utime(path, (stamp, stamp))
    return path


def test_start_up_sweep_clears_what_dead_jobs_left(settings: Settings,
                                                   db: sessionmaker) -> None:
    uploads = settings.ensure_home() / "uploads"
    orphan = _old(_mk(uploads / "orphan"))
    wanted = _old(_mk(uploads / "wanted"))  # a running job of a live node still needs it
    fresh = _mk(uploads / "fresh")  # being uploaded right now
    builds = settings.index_dir / "builds"
    leftover = _mk(builds / ".20260101T000000-dead.tmp")
    published = _mk(builds / "20260101T000000-good")
    dead = add_job(db, attempts=2)
    live = add_job(db, lease=30, workdir=str(wanted))

    create_app(settings)  # a service starting on this home sweeps

    assert not orphan.exists() and not leftover.exists()
    assert wanted.exists() and fresh.exists() and published.exists()
    assert get(db, dead).status == "failed"
    assert get(db, live).status == "running"


def test_sweep_leaves_a_live_builders_folder(settings: Settings, db: sessionmaker) -> None:
    building = _mk(settings.index_dir / "builds" / ".20260101T000000-live.tmp")
    with write_lock(settings, wait_seconds=0):  # an ingest in another process
        assert sweep(settings)["builds"] == 0
    assert building.exists()
    assert sweep(settings)["builds"] == 1 and not building.exists()


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "file.txt").write_text("x", encoding="utf-8")
    return folder


def test_progress_is_visible_while_running_and_a_running_job_can_be_cancelled(
        settings: Settings, db: sessionmaker) -> None:
    runner = JobRunner(settings)
    stop, halfway = gate("progress")
    job_id = runner.submit("test_gate", {"gate": "progress", "steps": 100})
    assert halfway.wait(10)
    runner.heartbeat()
    assert _eventually(lambda: get(db, job_id).progress == 0.5)  # written by the heartbeat
    with db() as session, session.begin():  # POST /v1/jobs/{id}/cancel, from any node
        session.get(Job, job_id).cancel_requested = True
    runner.heartbeat()
    stop.set()
    assert runner.join(30)
    job = get(db, job_id)
    assert job.status == "failed" and job.error["code"] == "cancelled"
    assert job.result is None
    runner.close()


def test_ingest_reports_progress_from_its_first_file(tmp_path: Path) -> None:
    from corpus.library import Library

    seen: list[tuple[int, int]] = []
    library = Library(Settings(home=tmp_path / "lib"),  # type: ignore[arg-type]
                      lambda: pytest.fail("no build for unreadable files"))  # type: ignore[arg-type, return-value]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("第一条 补贴对象为登记失业人员。\n", encoding="utf-8")
    (folder / "b.txt").write_bytes(b"")  # fails on the second file, after progress
    with pytest.raises(Exception, match="没有任何文字"):
        library.ingest([folder], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(15, 100)]


def _eventually(check, seconds: float = 5) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_queued_jobs_keep_no_folder_their_files_wait_in_the_database(
        settings: Settings, db: sessionmaker) -> None:
    orphan = _old(_mk(settings.ensure_home() / "uploads" / "old-upload"))
    add_job(db, status="queued", lease=None, workdir=None)
    assert sweep(settings)["uploads"] == 1 and not orphan.exists()
