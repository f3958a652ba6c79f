"""Two ingests on one home take turns: the second waits, or fails with ``busy`` — never
``internal (OperationalError)``. Another process is played by a lock the test holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corpus.errors import JntError
from corpus.library import Library
from corpus.settings import Settings
from corpus.write_lock import write_lock

ROOT = Path(__file__).resolve().parent.parent


def _library(home: Path, wait: float) -> Library:
    settings = Settings(home=home, write_lock_wait_seconds=wait)  # type: ignore[arg-type]
    return Library(settings, lambda: pytest.fail("no index may be built"))  # type: ignore[arg-type, return-value]


def test_a_second_ingest_fails_busy_when_it_cannot_wait(tmp_path: Path) -> None:
    library = _library(tmp_path / "home", wait=0.2)
    with write_lock(library.settings, wait_seconds=0):
        started = time.monotonic()
        with pytest.raises(JntError) as caught:
            library.ingest([tmp_path / "policy.txt"])
    assert caught.value.code == "busy" and caught.value.status == 409
    assert "正在进行" in caught.value.message
    assert time.monotonic() - started >= 0.2
    with pytest.raises(JntError) as caught:  # the same writer proceeds once it is free
        library.remove("no-such-doc")
    assert caught.value.code == "document_not_found"


def test_a_second_ingest_queues_behind_the_first(tmp_path: Path) -> None:
    library = _library(tmp_path / "home", wait=30)
    held = threading.Event()

    def first() -> None:
        with write_lock(library.settings, wait_seconds=0):
            held.set()
            time.sleep(0.6)

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(5)
    started = time.monotonic()
    with pytest.raises(JntError) as caught:  # runs after the first, then meets its own error
        library.ingest([tmp_path / "missing.txt"])
    assert caught.value.code == "file_not_found"
    assert time.monotonic() - started >= 0.4
    thread.join()


def test_cli_ingest_reports_busy_not_internal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home)  # type: ignore[arg-type]
    policy = tmp_path / "policy.txt"
    policy.write_text("第一条 补贴对象为登记失业人员。\n", encoding="utf-8")
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1",
           "JNT_WRITE_LOCK_WAIT_SECONDS": "0"}
    env.pop("JNT_DATABASE_URL", None)
    with write_lock(settings, wait_seconds=0):  # a first `jnt ingest` still running
        run = subprocess.run([sys.executable, "-m", "api.cli", "ingest", str(policy), "--json"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    output = run.stdout + run.stderr
    assert "Traceback" not in output and "internal" not in output
    error = json.loads(run.stdout or run.stderr)["error"]
    assert error["code"] == "busy"


def test_writers_of_two_homes_on_one_postgresql_take_turns(tmp_path: Path,
                                                           postgres_database) -> None:
    """Each node has a home (and file lock) of its own; the database's advisory lock is
    what makes the second node wait, then answer ``busy``."""
    from tests.postgres import fresh_schema

    url = fresh_schema(postgres_database)
    node_a = Settings(home=tmp_path / "a", database_url=url)  # type: ignore[arg-type]
    node_b = Library(Settings(home=tmp_path / "b", database_url=url,  # type: ignore[arg-type]
                              write_lock_wait_seconds=0.3),
                     lambda: pytest.fail("no index may be built"))  # type: ignore[arg-type, return-value]
    with write_lock(node_a, wait_seconds=0):
        with pytest.raises(JntError) as caught:
            node_b.ingest([tmp_path / "policy.txt"])
        assert caught.value.code == "busy"
    with pytest.raises(JntError) as caught:  # free again once node A is done
        node_b.remove("no-such-doc")
    assert caught.value.code == "document_not_found"
