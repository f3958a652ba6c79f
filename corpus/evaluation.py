"""Retrieval evaluation on a policy-QA file, scored as ``shared/eval/README.md`` says.

A passage *covers* an item when one of its evidence strings, normalised, is a substring
of the normalised passage. Recall@k counts answerable items with a covering passage in
the top k; MRR@10 averages 1/rank of the first covering passage. Follow-up items are
searched with their earlier turns as context.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from corpus.errors import InvalidInput
from corpus.home import library, searcher
from corpus.normalize import eval_normalize
from corpus.search import Searcher
from corpus.settings import Settings

SYSTEMS = ("hybrid", "bm25", "dense")
BLEND_ALPHAS = (0.3, 0.5, 0.7)


def load_qa(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InvalidInput(f"找不到评测文件：{path}", code="file_not_found")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    for item in items:
        item["_evidence"] = [eval_normalize(e) for e in item.get("evidence") or []]
    return items


def first_covering_rank(item: dict[str, Any], texts: list[str]) -> int | None:
    for rank, text in enumerate(texts, start=1):
        norm = eval_normalize(text)
        if any(e and e in norm for e in item["_evidence"]):
            return rank
    return None


def _score(ranks: list[int | None], k: int) -> dict[str, float]:
    n = len(ranks)
    if not n:
        return {"n": 0, f"recall@{k}": 0.0, "mrr@10": 0.0}
    recall = sum(1 for r in ranks if r is not None and r <= k) / n
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return {"n": n, f"recall@{k}": round(recall, 4), "mrr@10": round(mrr, 4)}


def _breakdown(items: list[dict[str, Any]], ranks: list[int | None], k: int) -> dict[str, Any]:
    groups: dict[str, dict[str, list[int | None]]] = {
        "type": defaultdict(list), "lang": defaultdict(list), "style": defaultdict(list)}
    for item, rank in zip(items, ranks, strict=True):
        for key in groups:
            groups[key][item.get(key, "?")].append(rank)
    return {
        "overall": _score(ranks, k),
        **{f"by_{key}": {name: _score(r, k) for name, r in sorted(groups[key].items())}
           for key in groups},
    }


def run_system(searcher: Searcher, items: list[dict[str, Any]], mode: str, k: int,
               **options: Any) -> tuple[list[int | None], list[dict[str, Any]]]:
    ranks: list[int | None] = []
    misses = []
    for item in items:
        hits = searcher.search(item["question"], max(k, 10), context=item.get("context") or [],
                               mode=mode, **options)  # type: ignore[arg-type]
        rank = first_covering_rank(item, [h.text for h in hits])
        ranks.append(rank)
        if rank is None or rank > k:
            misses.append({"id": item["id"], "question": item["question"], "rank": rank,
                           "top": [f"{h.doc_id} › {h.section}" for h in hits[:3]]})
    return ranks, misses


def evaluate(searcher: Searcher, qa: list[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    items = [item for item in qa if item.get("doc")]
    report: dict[str, Any] = {"k": k, "answerable": len(items),
                              "unanswerable_skipped": len(qa) - len(items), "systems": {}}
    for mode in SYSTEMS:
        ranks, misses = run_system(searcher, items, mode, k)
        report["systems"][mode] = {**_breakdown(items, ranks, k), "misses": misses}
    report["systems"]["hybrid"]["fusion"] = searcher.fusion
    comparison = {}
    for fusion, alpha in [("rrf", None), *(("blend", a) for a in BLEND_ALPHAS)]:
        saved = searcher.blend_alpha
        if alpha is not None:
            searcher.blend_alpha = alpha
        ranks, _ = run_system(searcher, items, "hybrid", k, fusion=fusion)
        searcher.blend_alpha = saved
        name = fusion if alpha is None else f"blend@{alpha}"
        comparison[name] = _score(ranks, k)
    report["fusion_comparison"] = comparison
    return report


def evaluate_retrieval(settings: Settings, qa_path: Path, k: int = 5,
                       corpus_dir: Path | None = None) -> dict[str, Any]:
    """Evaluate the home's index, or ``corpus_dir`` ingested into a temporary home."""
    qa = load_qa(qa_path)
    if corpus_dir is None:
        library(settings).ensure_shipped()
        return evaluate(searcher(settings), qa, k)
    with tempfile.TemporaryDirectory(prefix="jnt-eval-") as tmp:
        temp_settings = settings.model_copy(update={"home": Path(tmp), "database_url": None})
        library(temp_settings).ingest([corpus_dir])
        report = evaluate(searcher(temp_settings), qa, k)
        report["corpus"] = str(corpus_dir)
        return report


def format_report(report: dict[str, Any]) -> str:
    k = report["k"]
    lines = [f"可答题 {report['answerable']} 道"
             f"（不可答题 {report['unanswerable_skipped']} 道不计）"]
    for name, sys_report in report["systems"].items():
        o = sys_report["overall"]
        lines.append(f"{name:7s} Recall@{k} {o[f'recall@{k}']:.3f}  MRR@10 {o['mrr@10']:.3f}")
        for key in ("by_lang", "by_style", "by_type"):
            parts = [f"{g}:{v[f'recall@{k}']:.2f}/{v['mrr@10']:.2f}(n={v['n']})"
                     for g, v in sys_report[key].items()]
            lines.append(f"        {key[3:]:5s} " + "  ".join(parts))
    lines.append("fusion: " + "  ".join(
        f"{n} R@{k}={v[f'recall@{k}']:.3f} MRR={v['mrr@10']:.3f}"
        for n, v in report["fusion_comparison"].items()))
    return "\n".join(lines)
