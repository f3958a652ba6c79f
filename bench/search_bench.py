"""Search benchmark: index build time and throughput, warm search latency, peak memory.

    python bench/search_bench.py                 # both scales, each in its own process
    python bench/search_bench.py --scale shipped
    python bench/search_bench.py --scale 100k [--chunks 100000]

``shipped``: the corpus under corpus/texts, ingested into a temporary home (a cold
build: every chunk embedded). ``100k``: the same real texts copied once per
prefecture-level region (with that region as metadata) until there are at least
``--chunks`` chunks, indexed in one build. Copies share their text, so the embedder
runs once per distinct text (the content-hash cache); the figure printed for the
embedder's own throughput comes from the cold shipped build.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUERIES = [
    "我当过兵，能参加补贴培训吗？", "江西从失业保险基金中提取了多少专账资金", "網課也算補貼嗎",
    "内蒙古自治区级职业技能培训品牌的条件", "1+X证书试点面向哪些人", "农民工参加培训有补贴吗",
    "职业技能等级认定怎么考", "技工院校毕业生能考事业单位吗", "线上培训合格证明", "残疾人职业培训",
    "企业职工岗位技能提升培训", "培训机构骗取补贴怎么处罚", "高技能人才表彰奖励", "劳动预备制培训",
    "失业保险金领取条件", "退役军人教育培训", "民辦職業培訓學校教師上崗等級證", "新型学徒制",
    "公共实训基地建设", "培训补贴资金从哪里出",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dev_questions() -> list[tuple[str, list[str]]]:
    for path in (ROOT.parent / "shared" / "eval" / "dev_qa.jsonl",
                 ROOT / "tests" / "data" / "dev_qa.jsonl"):
        if path.exists():
            items = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
            return [(i["question"], i.get("context") or []) for i in items]
    return []


def latency(searcher, regions: list[str | None], rounds: int = 5) -> dict[str, float]:
    queries = [(q, []) for q in QUERIES] + dev_questions()
    for q, ctx in queries:  # warm-up: model, caches, page-in
        searcher.search(q, 5, context=ctx)
    times = []
    for r in range(rounds):
        for i, (q, ctx) in enumerate(queries):
            region = regions[(i + r) % len(regions)]
            t0 = time.perf_counter()
            searcher.search(q, 5, context=ctx, region=region)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"queries": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
            "max_ms": round(times[-1], 2)}


def bench_shipped() -> dict:
    from corpus.embedder import get_embedder
    from corpus.home import library, searcher
    from corpus.settings import Settings

    with tempfile.TemporaryDirectory(prefix="jnt-bench-") as tmp:
        settings = Settings(home=Path(tmp))
        get_embedder(settings)  # model load is not index build time
        lib = library(settings)
        t0 = time.perf_counter()
        report = lib.ingest([ROOT / "corpus" / "texts"])
        build_s = time.perf_counter() - t0
        manifest = json.loads((lib.store.current() / "manifest.json").read_text())
        s = searcher(settings)
        lat = latency(s, [None, "江西省", None, "内蒙古自治区"])
        return {"scale": "shipped", "documents": len(report.added), "chunks": manifest["chunks"],
                "ingest_and_build_s": round(build_s, 2),
                "chunks_per_s": round(manifest["chunks"] / build_s, 1),
                "embedded_texts": manifest["embedded"], **lat,
                "peak_rss_mb": round(peak_rss_mb(), 1)}


def bench_large(target: int) -> dict:
    from corpus.embedder import get_embedder
    from corpus.home import library
    from corpus.index import IndexStore, build_index
    from corpus.library import records
    from corpus.regions import regions
    from corpus.search import Searcher
    from corpus.settings import Settings

    with tempfile.TemporaryDirectory(prefix="jnt-bench-") as tmp:
        settings = Settings(home=Path(tmp))
        emb = get_embedder(settings)
        lib = library(settings)
        lib.ingest([ROOT / "corpus" / "texts"])  # embeds the distinct texts once
        with lib.sessions() as session:
            base = records(session)
        prefectures = sorted(regions().prefectures(), key=lambda r: r.code)
        copies = []
        for n, pref in enumerate(prefectures):
            if len(copies) >= target:
                break
            for rec in base:
                if rec.region == "全国":
                    continue  # national texts stay once; regional ones are copied per region
                copies.append(dataclasses.replace(
                    rec, chunk_id=f"{rec.chunk_id}@{n}", doc_id=f"{rec.doc_id}@{n}",
                    region=pref.name))
        while len(copies) < target:  # fewer prefectures than needed: reuse with new ids
            rec = copies[len(copies) % len(base)]
            copies.append(dataclasses.replace(rec, chunk_id=f"{rec.chunk_id}#{len(copies)}"))
        all_records = base + copies
        store = IndexStore(settings.index_dir)
        t0 = time.perf_counter()
        folder = build_index(store, all_records, emb)
        build_s = time.perf_counter() - t0
        store.publish(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        s = Searcher(store, emb)
        t0 = time.perf_counter()
        s.search("培训", 5)
        load_s = time.perf_counter() - t0
        lat = latency(s, [None, "赣州市", "江西省", None, "呼和浩特市"], rounds=3)
        return {"scale": "large", "chunks": manifest["chunks"],
                "regions_copied": min(len(prefectures), n + 1),
                "index_build_s": round(build_s, 2),
                "chunks_per_s": round(manifest["chunks"] / build_s, 1),
                "embedded_texts": manifest["embedded"], "index_load_s": round(load_s, 2),
                **lat, "peak_rss_mb": round(peak_rss_mb(), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["shipped", "100k", "all"], default="all")
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    if args.scale == "all":
        for scale in ("shipped", "100k"):
            subprocess.run([sys.executable, __file__, "--scale", scale, "--chunks",
                            str(args.chunks)], check=True)
        return
    result = bench_shipped() if args.scale == "shipped" else bench_large(args.chunks)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
