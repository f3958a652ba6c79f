"""Load benchmark, 50 concurrent clients for 60 s on 127.0.0.1, in one of two set-ups.

    python bench/load_bench.py [--clients 50] [--seconds 60] [--workers 2] [--home DIR]
    python bench/load_bench.py --nodes 2 --database-url postgresql+psycopg://… [--clients 50]

One home (default): `jnt serve --workers N` on one home; each client alternates `/v1/ask`
and `/v1/match`. Without ``--home`` a temporary home is set up first (shipped corpus +
3,000 sample programs, ≈ 2 minutes, not timed).

Several nodes (``--nodes N``): N `jnt serve` processes, each with its own temporary home,
on the one PostgreSQL database ``--database-url`` (set up first, not timed; an empty
database is filled with the shipped corpus and the sample catalog). Each client loops a
realistic visit — create a chat session, three messages, `/v1/ask`, `/v1/match` (partner
key), `/v1/search` — sending its requests to the nodes in turn.

The service runs with an API key for the matcher calls and rate limits raised out of the
way (the benchmark measures throughput, not the limiter). Bounded in time and in count
(``--max-requests``). Prints a table per endpoint (count, errors, p50/p95/p99) and totals,
then one JSON line with the same figures and the peak RSS of every service process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import free_port, unlimited_env  # noqa: E402

QUESTIONS = ["我当过兵，能参加补贴培训吗？", "網課學完拿到合格證明能領補貼嗎",
             "内蒙古自治区级培训品牌要什么条件", "1+X证书试点面向哪些人",
             "江西民办培训学校老师要有什么证", "失业了能参加培训吗",
             "农民工参加培训有补贴吗", "疫情期间企业线上培训能补贴吗"]
PROFILES = [{"province": "江西省", "city": "赣州市", "groups": ["退役军人"],
             "interests_text": "电工", "age": 30},
            {"province": "内蒙古自治区", "interests_text": "焊工", "age": 35},
            {"interests_text": "带货主播", "mode": "线上"},
            {"province": "山东省", "city": "临沂市", "interests_text": "厨师", "age": 40}]
KEY = "bench-key-not-secret"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))], 1) if ordered else 0


async def _client(base: str, n: int, stop: float, limit: list[int], out: dict[str, list[float]],
                  errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        i = n
        while time.monotonic() < stop and limit[0] > 0:
            limit[0] -= 1
            i += 1
            if i % 2:
                path, body, headers = "/v1/ask", {"question": QUESTIONS[i % len(QUESTIONS)]}, {}
            else:
                path = "/v1/match"
                body = {"profile": PROFILES[i % len(PROFILES)], "k": 10}
                headers = {"X-API-Key": KEY}
            start = time.perf_counter()
            try:
                response = await http.post(path, json=body, headers=headers)
                if response.status_code >= 300:
                    errors.append(f"{path} {response.status_code} {response.text[:120]}")
            except httpx.HTTPError as error:
                errors.append(f"{path} {type(error).__name__}")
                continue
            out.setdefault(path, []).append((time.perf_counter() - start) * 1000)


VISIT_MESSAGES = ["我当过兵，在赣州", "能参加补贴培训吗？", "网课也算吗？"]


class Tally:
    """Latencies and errors per endpoint label (a route template, not a raw path)."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.first_errors: list[str] = []

    def error(self, label: str, what: str) -> None:
        self.errors[label] = self.errors.get(label, 0) + 1
        if len(self.first_errors) < 5:
            self.first_errors.append(f"{label} {what}")

    async def call(self, http: httpx.AsyncClient, method: str, url: str, label: str,
                   **kwargs: object) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self.error(label, type(error).__name__)
            return None
        self.latencies.setdefault(label, []).append((time.perf_counter() - start) * 1000)
        if response.status_code >= 300:
            self.error(label, f"{response.status_code} {response.text[:120]}")
            return None
        return response


async def _visitor(bases: list[str], n: int, stop: float, limit: list[int],
                   tally: Tally) -> None:
    """One client's realistic visits, each request to the next node in turn."""
    turn = [n]

    def base() -> str:
        turn[0] += 1
        return bases[turn[0] % len(bases)]

    async with httpx.AsyncClient(timeout=60) as http:
        i = n
        while time.monotonic() < stop and limit[0] > 0:
            limit[0] -= 7
            i += 1
            created = await tally.call(http, "POST", f"{base()}/v1/chat/sessions",
                                       "POST /v1/chat/sessions", json={})
            if created is not None:
                session = created.json()
                auth = {"Authorization": f"Bearer {session['token']}"}
                for text in VISIT_MESSAGES:
                    await tally.call(
                        http, "POST",
                        f"{base()}/v1/chat/sessions/{session['session_id']}/messages",
                        "POST /v1/chat/sessions/{id}/messages", json={"text": text},
                        headers=auth)
            await tally.call(http, "POST", f"{base()}/v1/ask", "POST /v1/ask",
                             json={"question": QUESTIONS[i % len(QUESTIONS)]})
            await tally.call(http, "POST", f"{base()}/v1/match", "POST /v1/match",
                             json={"profile": PROFILES[i % len(PROFILES)], "k": 10},
                             headers={"X-API-Key": KEY})
            await tally.call(http, "GET", f"{base()}/v1/search", "GET /v1/search",
                             params={"q": QUESTIONS[(i + 3) % len(QUESTIONS)], "k": 5})


def _wait_ready(base: str, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"{base} did not become ready")


def _print_table(tally: Tally, elapsed: float) -> None:
    print(f"{'endpoint':<42}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, values in sorted(tally.latencies.items()):
        print(f"{label:<42}{len(values):>8}{tally.errors.get(label, 0):>8}"
              f"{statistics.median(values):>9.1f}{_percentile(values, 0.95):>9.1f}"
              f"{_percentile(values, 0.99):>9.1f}")
    every = [v for values in tally.latencies.values() for v in values]
    total = len(every)
    print(f"{'total':<42}{total:>8}{sum(tally.errors.values()):>8}"
          f"{statistics.median(every) if every else 0:>9.1f}{_percentile(every, 0.95):>9.1f}"
          f"{_percentile(every, 0.99):>9.1f}")
    print(f"throughput: {total / elapsed:.1f} requests/s over {elapsed:.1f} s", flush=True)


def run_nodes(args: argparse.Namespace) -> None:
    """``--nodes N``: N nodes with their own homes on one PostgreSQL database."""
    tmp = tempfile.TemporaryDirectory()
    common = unlimited_env(JNT_DATABASE_URL=args.database_url,
                           JNT_SECRET_KEY="load-bench-shared-secret", JNT_API_KEYS=f"bench:{KEY}")
    jnt = [sys.executable, "-m", "api.cli"]
    envs = [{**common, "JNT_HOME": str(Path(tmp.name) / f"node-{n}")} for n in range(args.nodes)]
    for env in envs:  # the first fills an empty database; the others take what is there
        subprocess.run([*jnt, "setup", "--sample-catalog", "3000"], env=env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    servers, bases = [], []
    for env in envs:
        port = free_port()
        servers.append(subprocess.Popen(
            [*jnt, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        bases.append(f"http://127.0.0.1:{port}")
    peaks: dict[int, float] = {}
    done = threading.Event()
    tally = Tally()
    try:
        for base in bases:
            _wait_ready(base)
            for path, body, headers in (
                    ("/v1/ask", {"question": QUESTIONS[0]}, {}),
                    ("/v1/match", {"profile": PROFILES[0]}, {"X-API-Key": KEY})):
                httpx.post(base + path, json=body, headers=headers, timeout=600)
        for server in servers:
            threading.Thread(target=_watch, args=(server.pid, peaks, done), daemon=True).start()
        limit = [args.max_requests]
        start = time.monotonic()

        async def run() -> None:
            stop = start + args.seconds
            await asyncio.gather(*(_visitor(bases, n, stop, limit, tally)
                                   for n in range(args.clients)))

        asyncio.run(run())
        elapsed = time.monotonic() - start
    finally:
        done.set()
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    _print_table(tally, elapsed)
    total = sum(len(v) for v in tally.latencies.values())
    print(json.dumps({
        "bench": "load", "nodes": args.nodes, "clients": args.clients,
        "seconds": round(elapsed, 1), "requests": total,
        "errors": sum(tally.errors.values()), "throughput_rps": round(total / elapsed, 1),
        "endpoints": {label: {"requests": len(v), "errors": tally.errors.get(label, 0),
                              "p50_ms": round(statistics.median(v), 1),
                              "p95_ms": _percentile(v, 0.95), "p99_ms": _percentile(v, 0.99)}
                      for label, v in sorted(tally.latencies.items())},
        "peak_rss_mb_per_process": {str(pid): round(mb) for pid, mb in sorted(peaks.items())},
        "first_errors": tally.first_errors,
    }, ensure_ascii=False), flush=True)
    tmp.cleanup()


def _watch(pid: int, peaks: dict[int, float], done: threading.Event) -> None:
    parent = psutil.Process(pid)
    while not done.is_set():
        for proc in [parent, *parent.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                peaks[proc.pid] = max(peaks.get(proc.pid, 0), proc.memory_info().rss / 2**20)
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--nodes", type=int, default=1,
                        help="N > 1: N nodes with their own homes on --database-url")
    parser.add_argument("--database-url", help="the nodes' PostgreSQL database")
    args = parser.parse_args()
    if args.nodes > 1:
        if not args.database_url:
            parser.error("--nodes needs --database-url (a PostgreSQL database)")
        run_nodes(args)
        return
    tmp = tempfile.TemporaryDirectory()
    home = args.home or Path(tmp.name) / "home"
    database = os.environ.get("JNT_DATABASE_URL")  # a given home keeps its own database
    env = unlimited_env(home, JNT_API_KEYS=f"bench:{KEY}",
                        **({"JNT_DATABASE_URL": database} if database else {}))
    jnt = [sys.executable, "-m", "api.cli"]
    subprocess.run([*jnt, "setup", "--sample-catalog", "3000"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([*jnt, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    peaks: dict[int, float] = {}
    done = threading.Event()
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        for path, body, headers in (("/v1/ask", {"question": QUESTIONS[0]}, {}),
                                    ("/v1/match", {"profile": PROFILES[0]}, {"X-API-Key": KEY})):
            for _ in range(2 * args.workers):  # warm every worker
                httpx.post(base + path, json=body, headers=headers, timeout=120)
        watcher = threading.Thread(target=_watch, args=(server.pid, peaks, done), daemon=True)
        watcher.start()
        latencies: dict[str, list[float]] = {}
        errors: list[str] = []
        limit = [args.max_requests]
        start = time.monotonic()

        async def run() -> None:
            stop = start + args.seconds
            await asyncio.gather(*(_client(base, n, stop, limit, latencies, errors)
                                   for n in range(args.clients)))

        asyncio.run(run())
        elapsed = time.monotonic() - start
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=30)
    total = sum(len(v) for v in latencies.values())
    report = {
        "bench": "load", "clients": args.clients, "seconds": round(elapsed, 1),
        "workers": args.workers, "requests": total, "errors": len(errors),
        "throughput_rps": round(total / elapsed, 1),
        "endpoints": {path: {"requests": len(v), "p50_ms": round(statistics.median(v), 1),
                             "p95_ms": _percentile(v, 0.95), "p99_ms": _percentile(v, 0.99)}
                      for path, v in latencies.items()},
        "peak_rss_mb_per_process": {str(pid): round(mb) for pid, mb in sorted(peaks.items())},
        "first_errors": errors[:5],
    }
    print(json.dumps(report, ensure_ascii=False), flush=True)
    tmp.cleanup()


if __name__ == "__main__":
    main()
