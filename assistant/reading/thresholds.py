"""Numbers the asker states against the thresholds a clause sets.

"合格率89%" against "培训合格率达到90%以上", "缴了8个月" against "缴费满1年", "服役两年"
against "服现役满五年": a stated figure on the wrong side of the clause's threshold settles
the question "no"; on the right side it is one condition met. Units are compared after
conversion (年 → 个月, 成 → %), and a figure is compared only with thresholds in its own unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.normalize import search_text

_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
       "八": 8, "九": 9}
_NUMBER = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+"
# unit → (canonical unit, factor)
_UNITS = {"%": ("%", 1.0), "％": ("%", 1.0), "成": ("%", 10.0), "个月": ("month", 1.0),
          "年": ("month", 12.0), "周岁": ("year_old", 1.0), "岁": ("year_old", 1.0),
          "人次": ("person", 1.0), "人": ("person", 1.0), "名": ("person", 1.0),
          "天": ("day", 1.0), "日": ("day", 1.0), "工作日": ("day", 1.0),
          "个工作日": ("day", 1.0),
          # a 课时 is a lesson (often 45 minutes), not an hour of work: not compared with one
          "课时": ("class_hour", 1.0), "学时": ("class_hour", 1.0),
          "小时": ("hour", 1.0), "个小时": ("hour", 1.0), "钟头": ("hour", 1.0),
          "个钟头": ("hour", 1.0),
          "元": ("yuan", 1.0), "万元": ("yuan", 10000.0),
          "亿元": ("yuan", 1e8), "所": ("count", 1.0), "家": ("count", 1.0),
          "项": ("count", 1.0), "次": ("occurrence", 1.0), "个": ("count", 1.0),
          "倍": ("times", 1.0)}
_UNIT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
# where a quantity's figure ends and what follows it (以上/以下) begins; 半 for 半年
_AMOUNT = re.compile(rf"(?:百分之)?(?:{_NUMBER}|半)\s*(?:{_UNIT})?")
_MULTIPLIERS = {"千": 1e3, "万": 1e4, "亿": 1e8}
# "半年" is a duration ("失业半年了"); "上半年", "每半年" name a part of a year or a rate.
_QUANTITY = re.compile(rf"(?:百分之(?P<pct>{_NUMBER}))"
                       rf"|(?<![上下前后每多])(?P<half>半)(?P<hunit>年|个月)"
                       rf"|(?P<n>{_NUMBER})\s*(?P<mult>[千万亿])?\s*(?P<unit>{_UNIT})")
_AT_LEAST_BEFORE = ("不低于", "不少于", "不得低于", "不得少于", "达到", "满", "至少", "超过",
                    "高于", "大于", "最低", "最少")
_AT_MOST_BEFORE = ("不超过", "不高于", "不得超过", "不得高于", "不得多于", "最高", "最多",
                   "最长", "低于", "少于", "未满", "不满", "不足")
# the longest word before a figure decides: 不得低于 is a floor though it ends in 低于
_BOUND_BEFORE = sorted([(w, True) for w in _AT_LEAST_BEFORE]
                       + [(w, False) for w in _AT_MOST_BEFORE],
                       key=lambda pair: len(pair[0]), reverse=True)
_AT_LEAST_AFTER = ("以上", "及以上", "或以上")
_AT_MOST_AFTER = ("以下", "以内", "之内")
# "一年零两个月", "1年3个月": one duration written in two parts
_JOINS = re.compile(r"(零|又|零头)?")
_CONTEXT = 20
_CALENDAR_YEAR = 1000
_NEAR = 5


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    before: str  # the words just before the number (what it measures)
    start: int
    after: str = ""  # the words right after it ("交了三年失业保险": what was paid for)


@dataclass(frozen=True)
class Threshold:
    value: float
    unit: str
    at_least: bool
    before: str


def chinese_number(token: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    total, current = 0, 0
    for ch in token:
        if ch in _CN:
            current = _CN[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return float(total + current)


def quantities(text: str) -> list[Quantity]:
    s = search_text(text)
    out: list[Quantity] = []
    last_end = -1
    for m in _QUANTITY.finditer(s):
        if m.group("pct"):
            value, unit, factor = chinese_number(m.group("pct")), "%", 1.0
        elif m.group("half"):
            value, (unit, factor) = 0.5, _UNITS[m.group("hunit")]
        else:
            value = chinese_number(m.group("n"))
            unit, factor = _UNITS[m.group("unit")]
            factor *= _MULTIPLIERS.get(m.group("mult") or "", 1.0)
        if value is None or (m.group("unit") == "年" and value >= _CALENDAR_YEAR):
            continue  # 2023年 is a date, not a duration
        if m.group("unit") == "次" and s[m.end():m.end() + 1] == "性":
            continue  # 一次性补贴 is a lump sum, not a count of times
        amount = value * factor
        if m.group("unit") == "年" and s[m.end():m.end() + 1] == "半":
            amount += 6  # 一年半
        if (out and unit == "month" == out[-1].unit and m.group("unit") == "个月"
                and _JOINS.fullmatch(s[last_end:m.start()])):
            out[-1] = Quantity(out[-1].value + amount, unit, out[-1].before, out[-1].start,
                               _phrase_after(s, m.end()))
        else:
            out.append(Quantity(amount, unit, _phrase_before(s, m.start()), m.start(),
                                _phrase_after(s, m.end())))
        last_end = m.end()
    return out


def thresholds(clause: str) -> list[Threshold]:
    s = search_text(clause)
    out = []
    for q in quantities(s):
        before = s[max(0, q.start - 4):q.start]
        after = s[q.start:q.start + 14]
        tail = after[_AMOUNT.match(after).end():]  # type: ignore[union-attr]
        bound = next((at_least for w, at_least in _BOUND_BEFORE if before.endswith(w)), None)
        if bound is None and tail.startswith(_AT_LEAST_AFTER):
            bound = True
        elif bound is None and tail.startswith(_AT_MOST_AFTER):
            bound = False
        if bound is not None:
            out.append(Threshold(q.value, q.unit, bound, q.before))
    return out


def _shared(a: str, b: str) -> int:
    grams = {a[i:i + 2] for i in range(len(a) - 1)}
    return sum(1 for i in range(len(b) - 1) if b[i:i + 2] in grams)


def _phrase_before(s: str, start: int) -> str:
    """What a number measures: the words since the last clause break, at most _CONTEXT."""
    window = s[max(0, start - _CONTEXT):start]
    cut = max(window.rfind(c) for c in "，,；;。：:（(")
    return window[cut + 1:] if cut >= 0 else window


def _phrase_after(s: str, end: int) -> str:
    window = s[end:end + _NEAR]
    cut = min((i for i in (window.find(c) for c in "，,；;。：:（(") if i >= 0), default=-1)
    return window[:cut] if cut >= 0 else window


def _claim(limit: Threshold, stated: Quantity) -> int:
    """How surely a stated figure is the one a limit is about, the words after it included
    ("交了三年失业保险" is about 缴费; "失业半年了" is not)."""
    return _affinity(limit.before, stated.before) + _shared(limit.before, stated.after)


def _affinity(limit: str, stated: str) -> int:
    """How surely a stated figure measures what a limit measures: the words right before
    each number count most ("就业率68%" belongs to "就业率达到60%", not to "合格率")."""
    return 3 * _shared(limit[-_NEAR:], stated[-_NEAR:]) + _shared(limit, stated)


@dataclass(frozen=True)
class Comparison:
    meets: int
    fails: int
    detail: list[str]


def compare(question: str, clause: str) -> Comparison:
    """How many of the asker's figures meet or fail the clause's thresholds of the same
    unit; a figure is matched to the threshold whose measured words it shares most, and
    a threshold is held against the stated figure of its unit that speaks of the same
    thing ("失业半年了，单位交了三年失业保险" against "缴费义务满1年": the three years)."""
    limits = thresholds(clause)
    stated = quantities(question)
    meets = fails = 0
    detail: list[str] = []
    for q in stated:
        same = [t for t in limits if t.unit == q.unit]
        if not same:
            continue
        best = max(same, key=lambda t: _claim(t, q))
        if len(same) > 1 and _claim(best, q) == 0:
            continue  # several limits in this unit and nothing says which one is meant
        rivals = [_claim(best, r) for r in stated if r is not q and r.unit == q.unit]
        if rivals and (_claim(best, q) == 0 or _claim(best, q) < max(rivals)):
            continue  # another of the asker's figures is the one this limit is about
        ok = q.value >= best.value if best.at_least else q.value <= best.value
        if ok:
            meets += 1
        else:
            fails += 1
            sign = "不低于" if best.at_least else "不超过"
            detail.append(f"{_show(q.value, q.unit)}，而规定要求{sign}{_show(best.value, q.unit)}")
    return Comparison(meets, fails, detail)


def within(question: str, clause: str) -> bool:
    """Every limit the clause sets in the unit of a figure the asker states holds for that
    figure, and there is at least one: "交了六年" is within "满5年不足10年", not within
    "满1年不足5年" — how a graduated schedule's step for this asker is found."""
    stated = quantities(question)
    limits = thresholds(clause)
    checked = False
    for q in stated:
        for t in (t for t in limits if t.unit == q.unit):
            checked = True
            if not (q.value >= t.value if t.at_least else q.value <= t.value):
                return False
    return checked


def _show(value: float, unit: str) -> str:
    number = f"{value:g}"
    if unit == "month" and value >= 12 and value % 12 == 0:
        return f"{value / 12:g}年"
    return {"%": f"{number}%", "month": f"{number}个月", "year_old": f"{number}岁",
            "person": f"{number}人", "day": f"{number}天", "class_hour": f"{number}学时",
            "hour": f"{number}小时",
            "yuan": f"{number}元", "times": f"{number}倍"}.get(unit, number)
