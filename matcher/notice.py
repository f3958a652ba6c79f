"""Nothing nearby for what the worker asked: say so, and offer the nearest alternatives.

When the worker names an occupation ("焊工三级") and no program of it passes every hard
rule (reachable, not started, not full, open to them, enterable), the ranking alone would
quietly fill the top with other trades. The counselor is told plainly instead —
「包头市目前没有可报名的焊工三级班」 — with what comes closest:

- ``other_level``: the same occupation at another level, open to the worker now;
- ``elsewhere_in_province`` / ``elsewhere``: the same occupation and level beyond the travel
  range (the province first; the catalog has no adjacency of cities, so within the province
  the best-scored come first), passing every other rule;
- ``next_intake``: a class of that occupation and level the worker cannot enter yet for
  lack of a certificate, starting after a class they can join now ends — the way in.

A hands-on trade whose only open classes are online in another province is told too: the
online class is theory only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from corpus.domain.profile import Profile
from matcher import vocab
from matcher.enterability import NO
from matcher.interest import Interest
from matcher.locality import scope_name
from matcher.snapshot import Snapshot

PER_KIND = 2  # alternatives of each kind per occupation
THEORY_ONLY = "线上课程只含理论，实操需另行安排"


def nothing_nearby(s: Snapshot, interest: Interest, masks: dict[str, np.ndarray],
                   order_key: np.ndarray, enterable: np.ndarray, profile: Profile,
                   travel: str) -> tuple[str | None, list[dict[str, Any]]]:
    """A notice (Chinese) and alternatives for the named occupations with nothing open.
    ``order_key`` ranks programs (lower first), as the ranking does."""
    eligible = np.logical_and.reduce(list(masks.values())) if masks else np.ones(len(s), bool)
    place = scope_name(profile, travel)
    level_ok = interest.level_ok(s)
    level = interest.level_name()
    notices: list[str] = []
    alternatives: list[dict[str, Any]] = []
    for code, name in zip(interest.codes, interest.names, strict=True):
        want = s.is_occupation(code) & level_ok
        open_ = eligible & want
        if open_.any():
            practice = open_ & ~(s.online & s.hands_on)
            if profile.mode != "线上" and not practice.any():
                notices.append(f"{place}目前没有可报名的{name}{level}线下班，只有线上课程"
                               f"（{THEORY_ONLY}）。")
                alternatives += _elsewhere(s, s.is_occupation(code), level_ok, masks,
                                           order_key, profile, name)
            continue
        why = _blocked(s, want, masks, enterable)
        notices.append(f"{place}目前没有可报名的{name}{level}班{why}。")
        found = _other_level(s, code, level_ok, eligible, order_key, name) if interest.ranks \
            else []
        found += _elsewhere(s, s.is_occupation(code), level_ok, masks, order_key, profile,
                            name)
        found += _next_intake(s, code, want, masks, eligible, enterable, order_key, name)
        alternatives += found
    unique: dict[str, dict[str, Any]] = {}
    for a in alternatives:
        unique.setdefault(a["program_id"], a)
    return (" ".join(notices) or None), list(unique.values())


def _blocked(s: Snapshot, want: np.ndarray, masks: dict[str, np.ndarray],
             enterable: np.ndarray) -> str:
    """Why the near classes of the occupation are out, when one reason covers them all."""
    near = want & masks["unreachable"]
    if not near.any():
        return ""
    for rule, words in (("started", "附近的班都已开班"), ("full", "附近的班名额已满")):
        if not (near & masks[rule]).any():
            return f"（{words}）"
    if not (near & (enterable != NO)).any():
        return "（附近的班要求的证书您还没有）"
    return ""


def _alternative(s: Snapshot, i: int, kind: str, occupation: str, why: str,
                 **extra: Any) -> dict[str, Any]:
    row = s.rows[i]
    return {"kind": kind, "occupation": occupation, "program_id": row.program_id,
            "title": row.title, "level": row.level, "province": row.province,
            "city": row.city, "mode": row.mode,
            "start_date": row.start_date.isoformat() if row.start_date else None,
            "why": why, **extra}


def _where(s: Snapshot, i: int) -> str:
    row = s.rows[i]
    place = "".join(x for x in (row.city, row.county) if x) or row.province
    return f"{place}，线上" if row.mode == "线上" else place


def _when(s: Snapshot, i: int) -> str:
    start = s.rows[i].start_date
    return f"{start} 开班" if start else "开班日期未定"


def _best(pool: np.ndarray, order_key: np.ndarray, n: int) -> list[int]:
    idx = np.flatnonzero(pool)
    return [int(i) for i in idx[np.argsort(order_key[idx], kind="stable")][:n]]


def _other_level(s: Snapshot, code: str, level_ok: np.ndarray, eligible: np.ndarray,
                 order_key: np.ndarray, name: str) -> list[dict[str, Any]]:
    pool = eligible & s.is_occupation(code) & ~level_ok
    out = []
    for i in _best(pool, order_key, PER_KIND):
        level = vocab.LEVEL_NAMES.get(s.rows[i].level or "", s.rows[i].level or "")
        out.append(_alternative(s, i, "other_level", name,
                                f"同为{name}，{level}，{_where(s, i)}，{_when(s, i)}。"))
    return out


def _elsewhere(s: Snapshot, occupation: np.ndarray, level_ok: np.ndarray,
               masks: dict[str, np.ndarray], order_key: np.ndarray, profile: Profile,
               name: str) -> list[dict[str, Any]]:
    """Offline classes of the occupation beyond the travel range that pass every other
    rule: in the province first (the level named before other levels), and one in another
    province when the province has none at the level named."""
    others = [m for rule, m in masks.items() if rule != "unreachable"]
    pool = occupation & np.logical_and.reduce(others) & ~masks["unreachable"] & ~s.online
    key = order_key + np.where(level_ok, 0.0, 100.0)
    home = s.province == profile.province if profile.province else np.zeros(len(s), bool)
    near = _best(pool & home, key, PER_KIND)
    out = [_alternative(s, i, "elsewhere_in_province", name,
                        f"省内{_where(s, i)}有{_level_of(s, i)}{name}班（{_when(s, i)}），"
                        f"超出您的出行范围，愿意去的话可以报名。") for i in near]
    if not any(level_ok[i] for i in near):
        out += [_alternative(s, i, "elsewhere", name,
                             f"外省的{s.rows[i].province}{_where(s, i)}有{_level_of(s, i)}"
                             f"{name}班（{_when(s, i)}）。")
                for i in _best(pool & ~home & level_ok, key, 1)]
    return out


def _level_of(s: Snapshot, i: int) -> str:
    level = s.rows[i].level
    return f"{vocab.LEVEL_NAMES.get(level, level)}的" if level else ""


def _next_intake(s: Snapshot, code: str, want: np.ndarray, masks: dict[str, np.ndarray],
                 eligible: np.ndarray, enterable: np.ndarray, order_key: np.ndarray,
                 name: str) -> list[dict[str, Any]]:
    """A class the worker lacks the certificate for, reachable and open, that starts after
    a class of the level below (open to them now) ends."""
    others = [m for rule, m in masks.items() if rule != "prerequisite"]
    blocked = want & np.logical_and.reduce(others) & (enterable == NO)
    out: list[dict[str, Any]] = []
    occupation = s.is_occupation(code)
    for i in _best(blocked, order_key, 10):
        if s.level_rank[i] <= 0 or s.start[i] < 0:
            continue
        first = eligible & occupation & (s.level_rank == s.level_rank[i] - 1) \
            & (s.end >= 0) & (s.end < s.start[i])
        if not first.any():
            continue
        j = _best(first, order_key, 1)[0]
        level = vocab.LEVEL_NAMES.get(s.rows[j].level or "", s.rows[j].level or "")
        out.append(_alternative(
            s, i, "next_intake", name,
            f"先报{s.rows[j].title}（{_where(s, j)}，{s.rows[j].end_date} 结业），取得{level}"
            f"证书后，可报这个{_when(s, i)}的班。", via_program_id=s.rows[j].program_id))
        if len(out) >= PER_KIND:
            break
    return out
