"""Streamed chat replies: time to the first ``delta`` (the reply's first sentence) against
time to ``done`` (the whole reply with citations), on a freshly started ``jnt serve``.

    python bench/stream_bench.py [--questions 20] [--restarts 3] [--home DIR]

Each restart starts a new service process (the "first reply after a restart" case) on a
copy of ``--home`` (default ``$JNT_HOME`` or ./var), waits for ``/healthz`` only (``/readyz``
would load the index and warm the process), and asks one question: that is a *cold* turn.
After the first restart the remaining worker questions
(bench/worker_questions_session*.jsonl) are asked one by one, each in a new session:
*warm* turns. Prints one JSON line per turn and a summary with p50/p95 in milliseconds for
``start``, first ``delta`` and ``done``, cold and warm apart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import free_port  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))], 1) if ordered \
        else 0.0


def questions(n: int) -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "bench").glob("worker_questions_session*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out[:n]


def start_service(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1",
           "JNT_RATE_LIMIT_SESSION_PER_MINUTE": "0", "JNT_RATE_LIMIT_ADDRESS_PER_MINUTE": "0"}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"jnt serve exited: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("jnt serve did not start within 120 s")


def streamed_turn(http: httpx.Client, question: str) -> dict[str, float | str | None]:
    """One new session and one streamed question; milliseconds from sending to each event."""
    session = http.post("/v1/chat/sessions", json={}).json()
    headers = {"Authorization": f"Bearer {session['token']}", "Accept": "text/event-stream"}
    marks: dict[str, float] = {}
    verdict = None
    t0 = time.perf_counter()
    with http.stream("POST", f"/v1/chat/sessions/{session['session_id']}/messages/stream",
                     json={"text": question}, headers=headers) as r:
        r.raise_for_status()
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
                name = "first_delta" if event == "delta" else event
                marks.setdefault(name, (time.perf_counter() - t0) * 1000)
            elif line.startswith("data: ") and event == "done":
                verdict = json.loads(line[6:]).get("verdict")
            elif line.startswith("data: ") and event == "error":
                raise SystemExit(f"stream error for {question!r}: {line}")
    return {"question": question, "verdict": verdict,
            **{k: round(v, 1) for k, v in marks.items()}}


def summary(rows: list[dict[str, float | str | None]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for mark in ("start", "first_delta", "citations", "done"):
        values = [float(r[mark]) for r in rows if r.get(mark) is not None]  # type: ignore[arg-type]
        out[mark] = {"p50": _percentile(values, 0.5), "p95": _percentile(values, 0.95),
                     "max": round(max(values), 1) if values else 0.0}
    gaps = [float(r["done"]) - float(r["first_delta"]) for r in rows  # type: ignore[arg-type]
            if r.get("done") is not None and r.get("first_delta") is not None]
    out["done_minus_first_delta"] = {"p50": _percentile(gaps, 0.5),
                                     "p95": _percentile(gaps, 0.95)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("JNT_HOME", ROOT / "var")))
    args = parser.parse_args()
    asked = questions(args.questions)
    cold: list[dict[str, float | str | None]] = []
    warm: list[dict[str, float | str | None]] = []
    with tempfile.TemporaryDirectory(prefix="jnt-stream-bench-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("logs", "uploads"))
        for restart in range(args.restarts):
            server, base = start_service(home)
            try:
                with httpx.Client(base_url=base, timeout=120) as http:
                    row = streamed_turn(http, asked[restart % len(asked)])
                    cold.append({"kind": "cold", **row})
                    print(json.dumps(cold[-1], ensure_ascii=False), flush=True)
                    if restart == 0:
                        for question in asked[1:]:
                            warm.append({"kind": "warm", **streamed_turn(http, question)})
                            print(json.dumps(warm[-1], ensure_ascii=False), flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(json.dumps({"cold_turns": len(cold), "warm_turns": len(warm),
                      "cold_ms": summary(cold), "warm_ms": summary(warm)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
