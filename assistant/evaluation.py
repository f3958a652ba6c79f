"""Answer evaluation on a policy-QA file, scored as ``shared/eval/README.md`` says:
citation coverage, abstention and refusals, verdict accuracy with its confusion matrix,
the false-yes and yes-on-conditional rates, reply length, and the reply's script — overall
and per type, script and style. An item that raises is counted as an error and the run goes on."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from assistant.answer import Answer, Assistant
from assistant.reading.model import load
from corpus.errors import JntError
from corpus.evaluation import load_qa
from corpus.normalize import detect_script, eval_normalize

VERDICTS = ("yes", "no", "conditional")


def _covers(item: dict[str, Any], texts: list[str]) -> bool:
    norm = [eval_normalize(t) for t in texts]
    return any(e and e in t for e in item["_evidence"] for t in norm)


def score_item(item: dict[str, Any], answer: Answer, chunk_text: dict[str, str]
               ) -> dict[str, Any]:
    passages = [chunk_text.get(c.chunk_id or "", c.quote) for c in answer.citations]
    script = detect_script(answer.answer) if answer.answer else item["lang"]
    return {
        "id": item["id"], "type": item["type"], "lang": item["lang"],
        "style": item.get("style", "formal"), "answerable": bool(item.get("doc")),
        "abstained": answer.abstained, "covered": _covers(item, passages),
        "expected_verdict": item.get("verdict"), "verdict": answer.verdict,
        "length": len(answer.answer), "error": None,
        # A Simplified reply may contain no character that tells the scripts apart.
        "script_ok": answer.script == item["lang"] and
        (script == item["lang"] or item["lang"] == "zh-Hans"),
    }


def _share(rows: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(1 for r in rows if r[key]) / len(rows), 4) if rows else None


def _p90(values: list[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The acceptance figures for one slice of the rows."""
    ok = [r for r in rows if r["error"] is None]
    answerable = [r for r in ok if r["answerable"]]
    unanswerable = [r for r in ok if not r["answerable"]]
    judged = [r for r in ok if r["expected_verdict"] in VERDICTS]
    noes = [r for r in judged if r["expected_verdict"] == "no"]
    yeses = [r for r in judged if r["expected_verdict"] == "yes"]
    depends = [r for r in judged if r["expected_verdict"] == "conditional"]
    answered = [r["length"] for r in ok if not r["abstained"]]
    return {
        "items": len(rows), "errors": len(rows) - len(ok),
        "cover": _share(answerable, "covered"),
        "refused": _share(answerable, "abstained"),
        "abstain": _share(unanswerable, "abstained"),
        "verdict": round(sum(r["verdict"] == r["expected_verdict"] for r in judged)
                         / len(judged), 4) if judged else None,
        "false_yes": round(sum(r["verdict"] == "yes" for r in noes) / len(noes), 4)
        if noes else None,
        # 「不可以」 to a question the files answer 「可以」: it turns a worker away from help
        "false_no": round(sum(r["verdict"] == "no" for r in yeses) / len(yeses), 4)
        if yeses else None,
        # 「可以」 where the files say it depends: as wrong a yes as one to a "no" question, and
        # a lower yes threshold can buy verdict accuracy with it while false yes stays put.
        "yes_on_conditional": round(sum(r["verdict"] == "yes" for r in depends)
                                    / len(depends), 4) if depends else None,
        "reply_p90": _p90(answered),
        "script_ok": _share(ok, "script_ok"),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in rows if r["error"] is None and r["expected_verdict"] in VERDICTS]
    confusion = Counter(f"{r['expected_verdict']}→{r['verdict'] or 'none'}" for r in judged)
    by: dict[str, dict[str, list[dict[str, Any]]]] = {k: defaultdict(list)
                                                      for k in ("type", "lang", "style")}
    for r in rows:
        for key in by:
            by[key][r[key]].append(r)
    return {
        **figures(rows),
        "confusion": dict(sorted(confusion.items())),
        **{f"by_{key}": {g: figures(v) for g, v in sorted(groups.items())}
           for key, groups in by.items()},
    }


def evaluate_answers(assistant: Assistant, qa_path: Path) -> dict[str, Any]:
    index, _ = assistant.searcher.index()
    chunk_text = {r.chunk_id: r.text for r in index.records}
    rows = []
    for item in load_qa(qa_path):
        try:
            answer = assistant.answer(item["question"], item.get("context") or [])
        except JntError as exc:
            rows.append({"id": item["id"], "type": item["type"], "lang": item["lang"],
                         "style": item.get("style", "formal"),
                         "answerable": bool(item.get("doc")), "abstained": False,
                         "covered": False, "expected_verdict": item.get("verdict"),
                         "verdict": None, "length": 0, "script_ok": False,
                         "error": exc.code})
            continue
        row = score_item(item, answer, chunk_text)
        row["answer"] = answer.answer
        rows.append(row)
    return {"summary": {**summarise(rows), "team_set": team_figures()}, "items": rows}


def team_figures() -> dict[str, Any]:
    """The shipped models' own figures on the team's set: cross-validated on the training
    part, and on the held-out fifth (see ``assistant/reading/train.py``)."""
    out: dict[str, Any] = {}
    for name in ("verdict", "answerable", "rerank"):
        model = load(name)
        if model is not None:
            out[name] = {k: v for k, v in model.meta.items()
                         if k not in ("grams", "trained_on") and not k.startswith("_")}
    return out
