"""Availability during an ingest: chat writes while a minute-long `jnt ingest` runs.

    python bench/ingest_availability_bench.py [--copies 2] [--clients 4]
                                              [--database-url postgresql+psycopg://…]

A fresh home (SQLite, or a fresh schema of ``--database-url``) gets the shipped corpus
(vectors reused from ``--seed-index``, default ./var/index, so set-up takes seconds, not
timed), then `jnt serve` starts on 127.0.0.1. The ingest is ``--copies`` copies of the
shipped texts under new ids and titles, so every chunk is embedded again (≈ 40 s of
embedding per copy on 2 cores, more while the clients compete for them). Meanwhile
``--clients`` clients loop: create a chat session, post a message (which also runs the
assistant: CPU), rate the reply. Only requests started inside the ingest window count.

Prints the ingest duration, then per kind (session, feedback = pure database writes;
message = write + answer) count, errors (non-2xx or transport), p50/p95/max seconds, and
one JSON line. Targets: 0 errors, p95 < 1 s for the writes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import free_port, unlimited_env, wait_ready  # noqa: E402
from corpus.library import SHIPPED, collect_files  # noqa: E402

QUESTIONS = ["我当过兵，能参加补贴培训吗？", "网课也算吗？", "我在九江，失业半年了",
             "培训补贴怎么申请？"]
JNT = [sys.executable, "-m", "api.cli"]


def fresh_schema(url: str) -> tuple[str, str]:
    """A new schema in the database ``url`` names; returns (url using it, schema)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def make_copies(folder: Path, copies: int) -> int:
    """The shipped texts again under new ids and titles (titles are embedded with every
    chunk, so nothing is reused); returns the number of files."""
    files = collect_files([SHIPPED])
    for i in range(1, copies + 1):
        for n, path in enumerate(files):
            meta = yaml.safe_load(path.with_name(path.name + ".meta.yaml").read_text("utf-8"))
            meta["id"] = f"{meta['id']}-c{i}"[:120]
            meta["title"] = f"{meta['title']}（副本{i}）"[:300]
            target = folder / f"c{i}_{n:03d}{path.suffix}"
            shutil.copy(path, target)
            target.with_name(target.name + ".meta.yaml").write_text(
                yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return len(files) * copies


class Clients:
    """``n`` threads looping session → message → feedback; samples (kind, start, seconds, ok)."""

    def __init__(self, base: str, n: int) -> None:
        self.base, self.stop = base, threading.Event()
        self.samples: list[tuple[str, float, float, bool]] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True)
                        for i in range(n)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(180)

    def _timed(self, client: httpx.Client, kind: str, url: str, body: dict,
               headers: dict | None = None) -> dict | None:
        start = time.monotonic()
        try:
            r = client.post(url, json=body, headers=headers or {})
            ok = 200 <= r.status_code < 300
            data = r.json() if ok else None
            if not ok:
                print(f"  {kind} -> {r.status_code} {r.text[:160]}", file=sys.stderr)
        except httpx.HTTPError as exc:
            ok, data = False, None
            print(f"  {kind} -> {type(exc).__name__}", file=sys.stderr)
        with self._lock:
            self.samples.append((kind, start, time.monotonic() - start, ok))
        return data

    def _loop(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as client:
            n = 0
            while not self.stop.is_set():
                session = self._timed(client, "session", "/v1/chat/sessions", {})
                if session is None:
                    time.sleep(0.2)
                    continue
                auth = {"Authorization": f"Bearer {session['token']}"}
                reply = self._timed(client, "message",
                                    f"/v1/chat/sessions/{session['session_id']}/messages",
                                    {"text": QUESTIONS[(i + n) % len(QUESTIONS)]}, auth)
                n += 1
                if reply is not None:
                    self._timed(client, "feedback", "/v1/feedback",
                                {"turn_id": reply["turn_id"], "rating": "up"}, auth)


def summary(samples: list[tuple[str, float, float, bool]], t0: float, t1: float) -> dict:
    out: dict[str, dict] = {}
    window = [s for s in samples if t0 <= s[1] <= t1]
    groups = {"session": ["session"], "feedback": ["feedback"], "message": ["message"],
              "writes (session+feedback)": ["session", "feedback"]}
    for name, kinds in groups.items():
        times = sorted(s[2] for s in window if s[0] in kinds)
        errors = sum(1 for s in window if s[0] in kinds and not s[3])
        if not times:
            out[name] = {"count": 0, "errors": errors}
            continue
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        worst = max((s for s in window if s[0] in kinds), key=lambda s: s[2])
        out[name] = {"count": len(times), "errors": errors,
                     "p50": round(statistics.median(times), 3), "p95": round(p95, 3),
                     "max": round(times[-1], 3), "max_at": round(worst[1] - t0, 1)}
    return out


def written_seconds(home: Path) -> str:
    """What the ingest logged about its write transaction (corpus/library.py)."""
    log = home / "logs" / "jnt.log"
    lines = [line for line in log.read_text("utf-8", "replace").splitlines()
             if "rows written in" in line] if log.exists() else []
    return lines[-1].split("rows written in", 1)[1].strip() if lines else "not logged"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed-index", type=Path, default=ROOT / "var" / "index")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jnt-ingest-bench-"))
    home = work / "home"
    env = unlimited_env(home, JNT_SECRET_KEY="ingest-bench-secret")
    schema = None
    if args.database_url:
        env["JNT_DATABASE_URL"], schema = fresh_schema(args.database_url)
    server = None
    try:
        if (args.seed_index / "CURRENT").exists():
            shutil.copytree(args.seed_index, home / "index")
        subprocess.run([*JNT, "setup"], env=env, cwd=ROOT, check=True, capture_output=True)
        files = make_copies(_mkdir(work / "ingest"), args.copies)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*JNT, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_ready(base)
        clients = Clients(base, args.clients)
        clients.start()
        time.sleep(5)  # warm: every client has gone round once
        backend = "postgresql" if schema else "sqlite"
        print(f"backend {backend}; ingesting {files} files with {args.clients} clients …",
              flush=True)
        t0 = time.monotonic()
        run = subprocess.run([*JNT, "ingest", str(work / "ingest"), "--json"], env=env,
                             cwd=ROOT, capture_output=True, text=True)
        t1 = time.monotonic()
        clients.join()
        if run.returncode != 0:
            raise SystemExit(f"ingest failed: {run.stdout or run.stderr}")
        report = json.loads(run.stdout)
        stats = summary(clients.samples, t0, t1)
        print(f"ingest: {t1 - t0:.1f} s, {len(report['added'])} documents, "
              f"{report['chunks']} chunks, build {report['index_build']}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"write transaction: {written_seconds(home)}")
        for name, s in stats.items():
            figures = (f"p50 {s['p50']:.3f} s  p95 {s['p95']:.3f} s  max {s['max']:.3f} s "
                       f"(started {s['max_at']} s into the ingest)" if s["count"] else "")
            print(f"{name:>26}: {s['count']:5d} requests  {s['errors']} errors  {figures}")
        print(json.dumps({"backend": backend, "ingest_seconds": round(t1 - t0, 1),
                          "ingest_chunks": report["chunks"], "clients": args.clients,
                          "during_ingest": stats}, ensure_ascii=False))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if schema and args.database_url:
            drop_schema(args.database_url, schema)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


if __name__ == "__main__":
    main()
