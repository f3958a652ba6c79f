"""Warm `ask` latency on the shipped corpus: the full answer path (intent, facts,
retrieval, rules, abstention, composition, script conversion).

    python bench/ask_bench.py [--rounds 5]

Uses the dev-set questions when ../shared is present (with their context turns),
plus a fixed list of worker questions; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.search_bench import QUERIES, dev_questions, peak_rss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from assistant.home import assistant
    from corpus.home import library
    from corpus.settings import Settings

    with tempfile.TemporaryDirectory(prefix="jnt-bench-") as tmp:
        settings = Settings(home=Path(tmp))
        library(settings).ensure_shipped()
        bot = assistant(settings)
        questions = [(q, []) for q in QUERIES] + dev_questions()
        for q, ctx in questions:
            bot.answer(q, ctx)
        times = []
        for _ in range(args.rounds):
            for q, ctx in questions:
                t0 = time.perf_counter()
                bot.answer(q, ctx)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(json.dumps({"bench": "ask", "questions": len(times),
                          "p50_ms": round(statistics.median(times), 2),
                          "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
                          "max_ms": round(times[-1], 2),
                          "peak_rss_mb": round(peak_rss_mb(), 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
