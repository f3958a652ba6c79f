"""Answer evaluation on a policy-QA file (``shared/eval/README.md``): citation coverage,
abstention, verdict accuracy, follow-ups, and the reply's script."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.answer import Answer, Assistant
from corpus.evaluation import load_qa
from corpus.normalize import detect_script, eval_normalize


def _covers(item: dict[str, Any], texts: list[str]) -> bool:
    norm = [eval_normalize(t) for t in texts]
    return any(e and e in t for e in item["_evidence"] for t in norm)


def score_item(item: dict[str, Any], answer: Answer, chunk_text: dict[str, str]
               ) -> dict[str, Any]:
    passages = [chunk_text.get(c.chunk_id or "", c.quote) for c in answer.citations]
    quotes = [c.quote for c in answer.citations]
    row: dict[str, Any] = {
        "id": item["id"], "type": item["type"], "lang": item["lang"],
        "answerable": bool(item.get("doc")), "abstained": answer.abstained,
        "covered": _covers(item, passages), "quote_covered": _covers(item, quotes),
        "expected_verdict": item.get("verdict"), "verdict": answer.verdict,
        "script_ok": answer.script == item["lang"] and
        (not answer.answer or detect_script(answer.answer) == item["lang"]
         or item["lang"] == "zh-Hans"),
    }
    return row


def _share(rows: list[dict[str, Any]], key: str) -> float:
    return round(sum(1 for r in rows if r[key]) / len(rows), 4) if rows else 0.0


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    verdict_items = [r for r in rows if r["expected_verdict"] in ("yes", "no", "conditional")]
    followups = [r for r in answerable if r["type"] == "followup"]
    by: dict[str, dict[str, list[dict[str, Any]]]] = {"type": defaultdict(list),
                                                      "lang": defaultdict(list)}
    for r in answerable:
        by["type"][r["type"]].append(r)
        by["lang"][r["lang"]].append(r)
    return {
        "items": len(rows),
        "answerable_covered": _share(answerable, "covered"),
        "answerable_quote_covered": _share(answerable, "quote_covered"),
        "answerable_abstained": _share(answerable, "abstained"),
        "unanswerable_abstained": _share(unanswerable, "abstained"),
        "verdict_accuracy": round(sum(1 for r in verdict_items if r["verdict"] ==
                                      r["expected_verdict"]) / len(verdict_items), 4)
        if verdict_items else None,
        "followup_covered": _share(followups, "covered"),
        "script_ok": _share(rows, "script_ok"),
        **{f"covered_by_{k}": {g: _share(v, "covered") for g, v in sorted(groups.items())}
           for k, groups in by.items()},
    }


def evaluate_answers(assistant: Assistant, qa_path: Path) -> dict[str, Any]:
    index, _ = assistant.searcher.index()
    chunk_text = {r.chunk_id: r.text for r in index.records}
    rows = []
    for item in load_qa(qa_path):
        answer = assistant.answer(item["question"], item.get("context") or [])
        row = score_item(item, answer, chunk_text)
        row["answer"] = answer.answer[:200]
        rows.append(row)
    return {"summary": summarise(rows), "items": rows}
