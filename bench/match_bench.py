"""Matcher benchmark: catalog import + embedding time, warm `match` latency, peak memory.

    python bench/match_bench.py                  # 3,000 and 100,000 programs, one process each
    python bench/match_bench.py --programs 3000 [--rounds 5]

The catalog is the deterministic sample (``matcher/sample.py``) written to CSV and
imported the normal way into a temporary home. "import + embed" is the import plus the
first ranking, which embeds every distinct program text not already in the home's vector
cache (the home is new, so all of them). Warm latency covers the whole request: profile
parsing, hard rules, every factor, diversity and reasons. ``p50/p95`` repeat eight
profiles (a counselor re-ranking: the profile's query vector is remembered);
``new_text_p50/p95`` give every request a profile text never seen before, so each one
pays for a query embedding.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.search_bench import peak_rss_mb  # noqa: E402

TODAY = dt.date(2026, 11, 22)
PROFILES = [
    {"province": "江西省", "city": "赣州市", "county": "于都县", "groups": ["退役军人"], "age": 28,
     "interests_text": "想学电工或者新能源汽车维修", "skills_text": "会开叉车，做过两年仓库管理",
     "certificates": [{"occupation": "电工", "level": "五级"}], "travel": "same_city"},
    {"province": "内蒙古自治区", "city": "呼和浩特市", "interests_text": "焊工", "age": 35},
    {"province": "湖北省", "interests_text": "带货主播", "mode": "线上", "age": 24},
    {"groups": ["农民工"], "interests_text": "养老护理", "age": 45, "travel": "anywhere"},
    {},
    {"province": "山东省", "city": "临沂市", "interests_text": "厨师", "schedule": "周末班",
     "max_hours": 200, "age": 30, "groups": ["城镇登记失业人员"]},
    {"province": "河南省", "skills_text": "在工地干过瓦工", "age": 50, "travel": "same_province"},
    {"province": "江西省", "city": "九江市", "interests_text": "学做蛋糕", "groups": ["妇女"],
     "budget_yuan": 0},
]

FRESH_INTERESTS = ["想学电焊", "数控车床", "想当育婴师", "学做面点", "电商运营", "汽车美容",
                   "想学开挖掘机", "中式烹调", "学修手机", "无人机驾驶", "美发", "物流仓储"]


def run(programs: int, rounds: int) -> dict[str, object]:
    from api.matching import matcher
    from corpus.settings import Settings
    from matcher.catalog import import_catalog
    from matcher.sample import generate, write_csv

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")  # type: ignore[call-arg]
        csv_path = Path(tmp) / "catalog.csv"
        write_csv(generate(programs), csv_path)
        start = time.perf_counter()
        import_catalog(settings, csv_path, is_sample=True)
        imported = time.perf_counter() - start
        m = matcher(settings)
        m.resolver.matrix()  # occupation vectors: shared cache, not part of a catalog import
        start = time.perf_counter()
        m.match(PROFILES[0], k=10, today=TODAY)
        embedded = time.perf_counter() - start
        for profile in PROFILES:  # warm-up
            m.match(profile, k=10, today=TODAY)
        times = []
        for _ in range(rounds):
            for profile in PROFILES:
                t = time.perf_counter()
                m.match(profile, k=10, today=TODAY)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        # Every request with a profile text never seen before: the query embedding is
        # computed, not remembered (a new worker, not a counselor re-ranking one).
        fresh = []
        for n, interest in enumerate(FRESH_INTERESTS * rounds):
            t = time.perf_counter()
            m.match({**PROFILES[n % 4], "interests_text": f"{interest}（第{n}次）"}, k=10,
                    today=TODAY)
            fresh.append((time.perf_counter() - t) * 1000)
        fresh.sort()
        return {
            "bench": "match", "programs": programs,
            "distinct_texts": m.programs_cache.size,
            "import_s": round(imported, 1), "first_match_embed_s": round(embedded, 1),
            "import_and_embed_s": round(imported + embedded, 1),
            "requests": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1),
            "new_text_p50_ms": round(statistics.median(fresh), 1),
            "new_text_p95_ms": round(fresh[int(0.95 * (len(fresh) - 1))], 1),
            "peak_rss_mb": round(peak_rss_mb(), 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.programs:
        print(json.dumps(run(args.programs, args.rounds), ensure_ascii=False), flush=True)
        return
    for n in (3000, 100_000):  # separate processes: peak memory is per scale
        subprocess.run([sys.executable, __file__, "--programs", str(n), "--rounds",
                        str(args.rounds)], check=True)


if __name__ == "__main__":
    main()
