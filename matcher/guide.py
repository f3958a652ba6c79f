"""Guided matching: which question, answered, would most change the top of the ranking?

For every profile field still unknown that has a small set of answers, the ranking is
recomputed under each answer; the question whose answers move the top k the most (mean
share of the top k replaced) is asked next. When no question would change the top k the
list is stable and the guide says so; a question the worker could not answer (``skip``)
is not asked again, so a guided case always ends.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from corpus.domain.vocabulary import groups
from matcher.ranking import Matcher, diverse_order


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    options: tuple[tuple[str, Any], ...]  # (label shown, value stored)
    needs: str | None = None  # a field that must be known first


QUESTIONS = (
    Question("travel", "愿意去外市参加培训吗？", (
        ("只在本县（区）", "same_county"), ("本市都可以", "same_city"),
        ("省内都可以", "same_province"), ("去哪里都行", "anywhere")), needs="province"),
    Question("mode", "想参加线下面授、线上，还是线上线下结合的培训？", (
        ("线下", "线下"), ("线上", "线上"), ("线上线下结合", "线上线下结合"))),
    Question("schedule", "每周能抽出几天？平时上班的话可以选周末班或晚班。", (
        ("每天都可以（全日制）", "全日制"), ("只有周末", "周末班"), ("只有晚上", "晚班"),
        ("时间不固定", "弹性学习"))),
    Question("max_hours", "最多能接受多长的课程？", (
        ("100课时以内", 100), ("200课时以内", 200), ("400课时以内", 400), ("不限", 2000))),
    Question("groups", "您是否属于以下人群？（影响能否享受培训补贴）", (
        *((groups().short(g), [g]) for g in groups().offered), ("都不是", []))),
    Question("age", "请问您今年多大？", (("16–24岁", 20), ("25–39岁", 32), ("40–49岁", 45),
                                    ("50岁以上", 55))),
)


def guide(matcher: Matcher, profile: dict[str, Any], k: int = 5, weight_overrides: Any = None,
          today: dt.date | None = None, skip: list[str] | tuple[str, ...] = ()
          ) -> dict[str, Any]:
    today = today or dt.date.today()
    current = _top(matcher, profile, k, weight_overrides, today)
    options: list[dict[str, Any]] = []
    for q in QUESTIONS:
        if profile.get(q.field) not in (None, "") or q.field in skip:
            continue  # answered ([] is an answer too: "none of these groups") or unanswerable
        if q.needs and profile.get(q.needs) in (None, "") and not profile.get("city"):
            continue
        changes = []
        for _label, value in q.options:
            trial = copy.deepcopy(profile)
            trial[q.field] = value
            top = _top(matcher, trial, k, weight_overrides, today)
            changes.append(1.0 - len(set(top) & set(current)) / max(1, len(current)))
        options.append({"field": q.field, "question": q.text,
                        "options": [label for label, _ in q.options],
                        "choices": [{"label": label, "value": value}
                                    for label, value in q.options],
                        "expected_change": round(sum(changes) / len(changes), 3)})
    options.sort(key=lambda o: -o["expected_change"])
    best = options[0] if options and options[0]["expected_change"] > 0 else None
    message = None if best else (
        "推荐已稳定：剩下的问题不会改变前几名，不需要再问了。" if options
        else "能影响排序的问题都已问过，推荐已稳定。")
    return {"top": current, "stable": best is None, "next_question": best,
            "candidates": options, "message": message}


def _top(matcher: Matcher, profile: dict[str, Any], k: int, weight_overrides: Any,
         today: dt.date) -> list[str]:
    scored = matcher.score(profile, weight_overrides, today)
    return [scored.snapshot.ids[i] for i in diverse_order(scored, k)]
