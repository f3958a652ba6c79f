"""Load benchmark: `/v1/ask` and `/v1/match` under 50 concurrent clients for 60 s against
two service worker processes on 127.0.0.1.

    python bench/load_bench.py [--clients 50] [--seconds 60] [--workers 2] [--home DIR]

Without ``--home`` a temporary home is set up first (shipped corpus + 3,000 sample
programs, ≈ 2 minutes, not timed). The service runs as `jnt serve --workers N` with an
API key for the matcher calls and rate limits raised out of the way (the benchmark
measures throughput, not the limiter). Bounded in time and in count (``--max-requests``).
Prints one JSON line: requests, errors (any non-2xx or transport error), throughput,
p50/p95/p99 per endpoint, and the peak RSS of every service process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
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


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    home = args.home or Path(tmp.name) / "home"
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1",
           "JNT_API_KEYS": f"bench:{KEY}", "JNT_RATE_LIMIT_KEY_PER_MINUTE": "10000000",
           "JNT_RATE_LIMIT_SESSION_PER_MINUTE": "10000000",
           "JNT_RATE_LIMIT_ADDRESS_PER_MINUTE": "10000000"}
    jnt = [sys.executable, "-m", "api.cli"]
    subprocess.run([*jnt, "setup", "--sample-catalog", "3000"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    port = _port()
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
