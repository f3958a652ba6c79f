"""Retrieval on regulations nobody tuned for: the frozen external check (issue 12).

    python bench/external_retrieval.py            # all three corpora, three modes
    python bench/external_retrieval.py --json     # the same figures as JSON

The shipped dev set says how well retrieval does on texts the team has read; this says
how it does on another region's rules, asked in residents' words, which is what an
administrator's upload will meet. Each corpus in ``tests/data/external/<corpus>/`` is
ingested alone into a temporary home (never the project's ``var/``) through the normal
library API, and its questions are scored with ``corpus.evaluation``'s own functions: a
passage covers an item when a normalised evidence string is a substring of it; Recall@5
and MRR@10 are over answerable items.

``ext_a`` and ``ext_b`` are the dev corpora: their missed ids are printed so tuning can
look at general causes. ``ext_c`` is held out: only its figures are printed, never its
misses, so it stays a fair estimate of what tuning did. Read
``tests/data/external/README.md`` before changing anything here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from corpus.evaluation import SYSTEMS, _score, load_qa, run_system  # noqa: E402
from corpus.home import library, searcher  # noqa: E402
from corpus.settings import Settings, get_settings  # noqa: E402

EXTERNAL = ROOT / "tests" / "data" / "external"
DEV = ("ext_a", "ext_b")
HELD_OUT = ("ext_c",)
K = 5


def check_frozen() -> None:
    """Refuse to measure an edited set: figures on a changed set are not comparable."""
    for line in (EXTERNAL / "FROZEN.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split()
        if hashlib.sha256((EXTERNAL / name).read_bytes()).hexdigest() != digest:
            raise SystemExit(f"{name} does not match FROZEN.sha256; the set must not be edited")


def measure_corpus(corpus: str, base: Settings) -> dict[str, Any]:
    """Ingest one corpus alone into a temporary home and score every mode on it."""
    folder = EXTERNAL / corpus
    qa = load_qa(folder / "questions.jsonl")
    items = [q for q in qa if q.get("gold")]
    with tempfile.TemporaryDirectory(prefix=f"jnt-{corpus}-") as tmp:
        settings = base.model_copy(update={"home": Path(tmp), "database_url": None})
        report = library(settings).ingest(sorted(folder.glob("*.md")))
        search = searcher(settings)
        modes: dict[str, Any] = {}
        for mode in SYSTEMS:
            ranks, misses = run_system(search, items, mode, K)
            modes[mode] = {**_score(ranks, K), "missed": [m["id"] for m in misses],
                           "ranks": {m["id"]: m["rank"] for m in misses}}
    return {"corpus": corpus, "documents": len(report.added), "chunks": report.chunks,
            "answerable": len(items), "unanswerable": len(qa) - len(items), "modes": modes}


def format_results(results: list[dict[str, Any]]) -> str:
    lines = [f"{'corpus':8s} {'mode':7s} {'R@' + str(K):>6s} {'MRR@10':>7s} {'n':>4s}"]
    for r in results:
        tag = " (held out)" if r["corpus"] in HELD_OUT else ""
        for mode, m in r["modes"].items():
            lines.append(f"{r['corpus']:8s} {mode:7s} {m[f'recall@{K}']:6.3f} "
                         f"{m['mrr@10']:7.3f} {m['n']:4d}{tag}")
    for r in results:
        lines.append(f"{r['corpus']}: {r['documents']} documents, {r['chunks']} chunks, "
                     f"{r['answerable']} answerable, {r['unanswerable']} unanswerable (not scored)")
    for r in results:
        if r["corpus"] in HELD_OUT:
            continue  # never show held-out failures
        for mode, m in r["modes"].items():
            shown = ", ".join(f"{i}(r={m['ranks'][i] or '-'})" for i in m["missed"])
            lines.append(f"missed@{K} {r['corpus']} {mode}: {shown or 'none'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    check_frozen()
    base = get_settings()
    results = [measure_corpus(c, base) for c in (*DEV, *HELD_OUT)]
    if args.json:
        for r in results:
            if r["corpus"] in HELD_OUT:
                for m in r["modes"].values():
                    m.pop("missed"), m.pop("ranks")
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(format_results(results))


if __name__ == "__main__":
    main()
