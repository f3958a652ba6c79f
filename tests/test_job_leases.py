"""Jobs whose process died are failed, not left ``running`` forever; a starting service
clears what dead jobs left behind; a job can be cancelled. A killed process is simulated
by a job row whose lease lapsed (no process is killed here)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from api.job_sweep import sweep
from api.jobs import JobRunner, reclaim_expired
from api.models import Job, utc_now
from api.users import create_user, user_sessions
from corpus.settings import Settings
from corpus.write_lock import write_lock

LEASE = 60


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", job_lease_seconds=LEASE)  # type: ignore[arg-type]


@pytest.fixture()
def db(settings: Settings) -> sessionmaker:
    return user_sessions(settings)


def add_job(db: sessionmaker, status: str = "running", lease: float | None = -10,
            **values: object) -> str:
    """A job row as a (possibly dead) process left it; ``lease`` in seconds from now."""
    expires = None if lease is None else utc_now() + dt.timedelta(seconds=lease)
    with db() as session, session.begin():
        job = Job(kind="ingest", status=status, owner="dead-host:4242:deadbeef",
                  lease_expires_at=expires, **values)
        session.add(job)
    return job.id


def get(db: sessionmaker, job_id: str) -> Job:
    with db() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_lapsed_leases_are_failed_live_ones_are_not(db: sessionmaker) -> None:
    dead = add_job(db)
    dead_queued = add_job(db, status="queued")
    alive = add_job(db, lease=30)
    old = utc_now() - dt.timedelta(hours=2)  # made before leases existed: no lease at all
    legacy = add_job(db, lease=None, updated_at=old, created_at=old)
    finished = add_job(db, status="done")
    with db() as session, session.begin():
        lost = reclaim_expired(session, LEASE)
    assert set(lost) == {dead, dead_queued, legacy}
    for job_id in lost:
        job = get(db, job_id)
        assert job.status == "failed" and job.lease_expires_at is None
        assert job.error["code"] == "job_lost" and "任务中断" in job.error["message"]
    assert get(db, alive).status == "running"
    assert get(db, finished).status == "done"


def test_a_running_job_renews_its_lease_and_reclaims_dead_ones(db: sessionmaker) -> None:
    runner = JobRunner(lease_seconds=LEASE, heartbeat_seconds=3600)
    release, started = threading.Event(), threading.Event()

    def work(_progress: object) -> dict[str, str]:
        started.set()
        release.wait(10)
        return {"ok": "yes"}

    job_id = runner.submit(db, "reindex", work)
    assert started.wait(10)
    with db() as session, session.begin():  # as if the last beat was long ago
        session.get(Job, job_id).lease_expires_at = utc_now() + dt.timedelta(seconds=1)
    dead = add_job(db)
    runner.heartbeat()
    mine = get(db, job_id)
    assert mine.status == "running" and mine.owner == runner.owner
    assert mine.lease_expires_at > utc_now() + dt.timedelta(seconds=LEASE - 10)
    assert get(db, dead).status == "failed"
    release.set()
    runner.join()
    done = get(db, job_id)
    assert done.status == "done" and done.lease_expires_at is None


def test_a_poll_reports_a_lapsed_job_failed(settings: Settings, db: sessionmaker) -> None:
    create_user(settings, "admin", "admin-secret-1", "admin")
    client = TestClient(create_app(settings))
    token = client.post("/v1/auth/login", json={"username": "admin",
                                                "password": "admin-secret-1"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    dead = add_job(db)  # lapses after the app started, so the start-up sweep missed it
    body = client.get(f"/v1/jobs/{dead}", headers=headers).json()
    assert body["status"] == "failed" and body["error"]["code"] == "job_lost"

    # Cancelling: a queued job stops before it runs, and its work never starts.
    runner: JobRunner = client.app.state.jobs  # type: ignore[attr-defined]
    release, ran = threading.Event(), []
    runner.submit(db, "reindex", lambda _p: (release.wait(10), {})[1])
    queued = runner.submit(db, "reindex", lambda _p: ran.append(1) or {})
    body = client.post(f"/v1/jobs/{queued}/cancel", headers=headers).json()
    assert body["status"] == "failed" and body["error"]["code"] == "cancelled"
    release.set()
    runner.join()
    assert ran == [] and get(db, queued).status == "failed"


def _old(path: Path) -> Path:
    stamp = time.time() - 2 * LEASE
    os.utime(path, (stamp, stamp))
    return path


def test_start_up_sweep_clears_what_dead_jobs_left(settings: Settings,
                                                   db: sessionmaker) -> None:
    uploads = settings.ensure_home() / "uploads"
    orphan = _old(_mk(uploads / "orphan"))
    wanted = _old(_mk(uploads / "wanted"))  # a queued job in a live process still needs it
    fresh = _mk(uploads / "fresh")  # being uploaded right now
    builds = settings.index_dir / "builds"
    leftover = _mk(builds / ".20260101T000000-dead.tmp")
    published = _mk(builds / "20260101T000000-good")
    dead = add_job(db)
    live = add_job(db, status="queued", lease=30, workdir=str(wanted))

    create_app(settings)  # a service starting on this home sweeps

    assert not orphan.exists() and not leftover.exists()
    assert wanted.exists() and fresh.exists() and published.exists()
    assert get(db, dead).status == "failed"
    assert get(db, live).status == "queued"


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
        db: sessionmaker) -> None:
    runner = JobRunner(lease_seconds=LEASE, heartbeat_seconds=3600)
    halfway, stop = threading.Event(), threading.Event()

    def work(progress) -> dict[str, str]:  # type: ignore[no-untyped-def]
        progress(0.5)
        halfway.set()
        stop.wait(10)
        for step in range(100):  # a re-index reporting its steps
            progress(0.5 + step / 200)
            time.sleep(0.02)
        return {"finished": "yes"}

    job_id = runner.submit(db, "reindex", work)
    assert halfway.wait(10)
    assert _eventually(lambda: get(db, job_id).progress == 0.5)  # written by the heartbeat
    with db() as session, session.begin():  # POST /v1/jobs/{id}/cancel, from any node
        session.get(Job, job_id).cancel_requested = True
    runner.heartbeat()
    stop.set()
    runner.join()
    job = get(db, job_id)
    assert job.status == "failed" and job.error["code"] == "cancelled"
    assert job.result is None


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


def test_sweep_keeps_uploads_while_a_live_job_has_no_recorded_folder(
        settings: Settings, db: sessionmaker) -> None:
    orphan = _old(_mk(settings.ensure_home() / "uploads" / "maybe-its"))
    live = add_job(db, status="queued", lease=30)  # submitted without workdir
    assert sweep(settings)["uploads"] == 0 and orphan.exists()
    with db() as session, session.begin():
        session.get(Job, live).status = "done"
    assert sweep(settings)["uploads"] == 1 and not orphan.exists()
