"""Hard rules: a program that fails one is not ranked, and "why not" names the rule.

Each rule is vectorised over the snapshot (a boolean mask of programs that pass) and
explains itself for one program in Chinese. Rules never read gender or ethnicity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from corpus.domain.profile import Profile
from matcher import enterability, vocab
from matcher.snapshot import Snapshot


@dataclass(frozen=True)
class Context:
    profile: Profile
    today: dt.date
    travel: str  # effective travel range (stated or assumed)
    # Per program yes/confirm/no (matcher/enterability.py), computed once per request.
    enterable: np.ndarray | None = None
    checks: enterability.RouteChecks | None = None

    def enterability(self, s: Snapshot) -> tuple[np.ndarray, enterability.RouteChecks]:
        if self.enterable is not None and self.checks is not None:
            return self.enterable, self.checks
        checks = enterability.check_routes(s.routes, self.profile)
        return enterability.program_status(s.routes, len(s), checks), checks


@dataclass(frozen=True)
class HardRule:
    id: str
    label: str
    mask: Callable[[Snapshot, Context], np.ndarray]
    why: Callable[[Snapshot, int, Context], str]


# --------------------------------------------------------------------------- not started

def _not_started(s: Snapshot, c: Context) -> np.ndarray:
    return (s.start < 0) | (s.start > c.today.toordinal())


def _why_started(s: Snapshot, i: int, c: Context) -> str:
    return f"该班已于 {s.rows[i].start_date} 开班，不能再报名。{_next_class(s, i, c)}"


# ------------------------------------------------------------------------------ not full

def _not_full(s: Snapshot, c: Context) -> np.ndarray:
    known = ~np.isnan(s.capacity) & ~np.isnan(s.enrolled)
    return ~known | (s.enrolled < s.capacity)


def _why_full(s: Snapshot, i: int, c: Context) -> str:
    return (f"名额已满：招生 {int(s.capacity[i])} 人，已报名 {int(s.enrolled[i])} 人，"
            f"不能再报名。{_next_class(s, i, c)}")


def _next_class(s: Snapshot, i: int, c: Context) -> str:
    """The next class of the same occupation and level still open, nearest first: what a
    counselor offers instead of a class that has started or is full."""
    row = s.rows[i]
    open_ = (s.is_occupation(row.occupation_code or "") & (s.level == row.level)
             & (s.start > c.today.toordinal()) & _not_full(s, c))
    if not open_.any():
        level = vocab.LEVEL_NAMES.get(row.level or "", row.level or "")
        return f"目前没有其他未开班、有名额的{row.occupation}{level}班。"
    near = open_ & _reachable(s, c)
    pool = np.flatnonzero(near if near.any() else open_)
    j = int(pool[np.argmin(s.start[pool])])
    nxt = s.rows[j]
    where = "".join(x for x in (nxt.city, nxt.county) if x) or nxt.province
    far = "" if near.any() else "（不在您的出行范围内）"
    return (f"同职业同等级的下一期：{nxt.title}（{where}，{nxt.start_date} 开班，"
            f"编号 {nxt.program_id}）{far}。")


# ----------------------------------------------------------------------------- reachable

def _reachable(s: Snapshot, c: Context) -> np.ndarray:
    p = c.profile
    online = s.online
    if c.travel == "anywhere":
        return np.ones(len(s), dtype=bool)
    if c.travel == "same_province" and p.province:
        return online | (s.province == p.province)
    if c.travel == "same_city" and p.city:
        return online | (s.city == p.city)
    if c.travel == "same_county" and p.county:
        same_county = s.county == p.county
        no_county = np.array([x is None for x in s.county], dtype=bool)
        return online | same_county | (no_county & (s.city == p.city))
    # The range names a place level the worker did not give: fall back to the widest known.
    if p.city:
        return online | (s.city == p.city)
    if p.province:
        return online | (s.province == p.province)
    return np.ones(len(s), dtype=bool)


def _why_unreachable(s: Snapshot, i: int, c: Context) -> str:
    row = s.rows[i]
    where = "".join(x for x in (row.province, row.city, row.county) if x)
    mine = {"same_county": c.profile.county, "same_city": c.profile.city,
            "same_province": c.profile.province}.get(c.travel) or "您所在地"
    return (f"不在出行范围内：项目在{where}（{row.mode}），出行范围为{vocab.TRAVEL_NAMES[c.travel]}"
            f"（{mine}）。可选线上项目，或把出行范围放宽。")


# ----------------------------------------------------------------------------------- age

def _age_ok(s: Snapshot, c: Context) -> np.ndarray:
    age = c.profile.age
    if age is None:
        return np.ones(len(s), dtype=bool)
    low = np.isnan(s.min_age) | (s.min_age <= age)
    high = np.isnan(s.max_age) | (s.max_age >= age)
    return low & high


def _why_age(s: Snapshot, i: int, c: Context) -> str:
    row = s.rows[i]
    return (f"年龄不符：项目要求 {row.min_age or '不限'}–{row.max_age or '不限'} 周岁，"
            f"您 {c.profile.age} 岁。")


# --------------------------------------------------------------------------- target group

def _group_ok(s: Snapshot, c: Context) -> np.ndarray:
    groups = set(c.profile.groups)
    if not groups:
        return np.ones(len(s), dtype=bool)  # unknown: shown as a condition, not excluded
    out = ~s.restricted
    for group in groups:
        out |= s.open_to(group)
    return out


def _why_group(s: Snapshot, i: int, c: Context) -> str:
    return (f"只面向{'、'.join(s.rows[i].target_groups)}，"
            f"您属于{'、'.join(c.profile.groups)}。")


# ------------------------------------------------------------------------ level progression

def held_levels(profile: Profile) -> dict[str, int]:
    """Occupation code → the highest ladder level held (0 = 五级 … 4 = 一级)."""
    out: dict[str, int] = {}
    for cert in profile.certificates:
        rank = vocab.level_rank(cert.level)
        if cert.occupation_code and rank is not None:
            out[cert.occupation_code] = max(rank, out.get(cert.occupation_code, -1))
    return out


def _not_below_held(s: Snapshot, c: Context) -> np.ndarray:
    out = np.ones(len(s), dtype=bool)
    for code, rank in held_levels(c.profile).items():
        out &= ~(s.is_occupation(code) & (s.level_rank >= 0) & (s.level_rank < rank))
    return out


def _why_below(s: Snapshot, i: int, c: Context) -> str:
    row = s.rows[i]
    held = vocab.LEVELS[held_levels(c.profile)[row.occupation_code]]
    return (f"等级低于已持有的证书：您已有{row.occupation}{vocab.LEVEL_NAMES[held]}证书，"
            f"该项目是{vocab.LEVEL_NAMES.get(row.level or '', row.level)}。")


def _prerequisite_met(s: Snapshot, c: Context) -> np.ndarray:
    """Not ``no``: a program that needs confirmation stays, marked (see enterability)."""
    return c.enterability(s)[0] != enterability.NO


def _why_prerequisite(s: Snapshot, i: int, c: Context) -> str:
    _, checks = c.enterability(s)
    _, text = enterability.explain(s.routes, i, s.rows[i].occupation, c.profile, checks)
    return text or f"不满足报名条件：{s.rows[i].prerequisite}。"


RULES: tuple[HardRule, ...] = (
    HardRule("started", "已开班", _not_started, _why_started),
    HardRule("full", "名额已满", _not_full, _why_full),
    HardRule("unreachable", "不在出行范围内", _reachable, _why_unreachable),
    HardRule("age", "年龄不符", _age_ok, _why_age),
    HardRule("target_group", "面向人群不符", _group_ok, _why_group),
    HardRule("below_held_level", "低于已持有等级", _not_below_held, _why_below),
    HardRule("prerequisite", "不满足报名条件", _prerequisite_met, _why_prerequisite),
)


def rule_masks(s: Snapshot, c: Context) -> dict[str, np.ndarray]:
    """Each hard rule's pass mask, by rule id."""
    return {rule.id: rule.mask(s, c) for rule in RULES}


def eligible(s: Snapshot, c: Context) -> np.ndarray:
    out = np.ones(len(s), dtype=bool)
    for rule in RULES:
        out &= rule.mask(s, c)
    return out


def excluded_by(s: Snapshot, i: int, c: Context) -> list[dict[str, str]]:
    """Every hard rule program ``i`` fails, with its explanation."""
    return [{"rule": r.id, "label": r.label, "reason": r.why(s, i, c)}
            for r in RULES if not r.mask(s, c)[i]]
