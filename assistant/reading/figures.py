"""Does the answering text hold the kind of figure the question asks for?

"补贴多少钱" is answered only by a sum in 元; "几年" by a period; "哪天施行" by a date. A
passage on the right topic that states none ("按规定给予补贴") does not answer — the most
common way a question on a covered topic is still unanswerable.
"""

from __future__ import annotations

import re

from assistant.reading.cues import clause_cue, question_cue
from assistant.reading.thresholds import quantities
from corpus.normalize import search_text

# question cue list → the quantity units that answer it
ANSWERED_BY: dict[str, tuple[str, ...]] = {
    # a sum is often set as a multiple of another ("处骗取金额1倍以上3倍以下的罚款")
    "asks_money": ("yuan", "times"),
    "asks_period": ("month", "day", "hour", "class_hour"),
    "asks_count": ("person", "count", "hour", "class_hour"),
    "asks_times": ("occurrence",),
    "asks_share": ("%",),
    "asks_day": ("date",),
    # whether a document is still in force: the sentence in which it says so of itself
    "asks_validity": ("in_force",),
    # when a document began: the sentence in which it states its own 施行
    "asks_start": ("in_force", "own_start"),
}
# A calendar date, or one counted from an event ("自办理失业登记之日起").
_DATE = re.compile(r"\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|[一二〇零○]{4}年|"
                   r"之日起|之日|当日|次日|当月|次月")


def asked(question: str) -> list[str]:
    s = search_text(question)
    return [name for name in ANSWERED_BY if question_cue(name).any(s)]


def states_own_force(text: str) -> bool:
    """「本条例自2016年7月1日起施行」, 「本办法有效期至…」: the document speaks of its own force
    (「…《国有企业职工待业保险规定》同时废止」 speaks of another's)."""
    s = search_text(text)
    return clause_cue("in_force").any(s) and any(
        f"本{kind}" in s for kind in question_cue("document_kind").words)


def held(text: str) -> set[str]:
    s = search_text(text)
    kinds = {q.unit for q in quantities(s)}
    if states_own_force(s):
        kinds.add("in_force")
        if clause_cue("in_force_start").any(s):
            kinds.add("own_start")
    if _DATE.search(s):
        kinds.add("date")
    if any(c.isdigit() for c in s):
        kinds.add("count")  # a bare number counts things (a table cell: "新建…基地（个） 30")
    return kinds


def answers_figure(question: str, texts: list[str]) -> bool | None:
    """None when no figure is asked; else whether one of ``texts`` holds one of its kind."""
    kinds = asked(question)
    if not kinds:
        return None
    present = set().union(*(held(t) for t in texts)) if texts else set()
    return any(set(ANSWERED_BY[k]) & present for k in kinds)
