"""Can this worker enrol? Every program is ``yes``, ``confirm`` or ``no`` for one worker.

A program's 报名条件 is read once per catalog version into routes (``prerequisites.read``),
laid out as columns here (one row per route), and checked per request against what the
profile states, vectorised over all routes at once:

- ``yes``: no condition, or some route's conditions all hold;
- ``confirm``: no route is ruled out for sure, but one needs a person: the worker has not
  said which certificates they hold (the ``certificates`` field is absent), or the route
  asks for work experience, a school subject or something the matcher could not read;
- ``no``: every route fails on what the worker stated (``certificates: []`` holds none; a
  certificate in another occupation does not count unless the text admits related ones).

A program's status is the best of its routes'. The reasons and "why not" read the same
per-route columns, so the explanation never disagrees with the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.domain.profile import Profile
from corpus.domain.vocabulary import levels
from matcher.prerequisites import Requirement, describe, education_rank, read

NO, CONFIRM, YES = 0, 1, 2
STATUS_NAMES = {YES: "yes", CONFIRM: "confirm", NO: "no"}


@dataclass
class RouteTable:
    """Every program's routes as columns; rows of one program are contiguous."""

    program: np.ndarray  # int32: the program of each route
    certificate: np.ndarray  # bool: a certificate is required
    code: np.ndarray  # int32 into ``codes``: the certificate's occupation (-1: none)
    rank: np.ndarray  # int8: minimum ladder level, -1 for any level
    related: np.ndarray  # bool: a related occupation's certificate is admitted
    education: np.ndarray  # int8: minimum schooling, -1 for none
    min_age: np.ndarray  # float, nan for none
    max_age: np.ndarray
    unsure: np.ndarray  # bool: work experience, a school subject or unread text
    codes: list[str]
    first: np.ndarray  # int64 per program: its first route row (``first[i+1]`` ends it)
    requirements: list[Requirement]  # per program, for explanations

    def __len__(self) -> int:
        return len(self.program)


def route_table(texts: list[str | None], own_codes: list[str | None]) -> RouteTable:
    """The routes of every program, its own occupation standing in where a text names none."""
    requirements = [read(t) for t in texts]
    rows: list[tuple[Any, ...]] = []
    codes: dict[str, int] = {}
    first = np.zeros(len(texts) + 1, dtype=np.int64)
    for i, (req, own) in enumerate(zip(requirements, own_codes, strict=True)):
        first[i] = len(rows)
        for r in req.routes:
            code = (r.occupation_code or own) if r.certificate else None
            rows.append((i, r.certificate, codes.setdefault(code, len(codes)) if code else -1,
                         -1 if r.rank is None else r.rank, r.related,
                         -1 if r.education is None else r.education,
                         np.nan if r.min_age is None else r.min_age,
                         np.nan if r.max_age is None else r.max_age,
                         r.experience or bool(r.unread)))
    first[len(texts)] = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 9
    return RouteTable(
        program=np.array(cols[0], dtype=np.int32), certificate=np.array(cols[1], dtype=bool),
        code=np.array(cols[2], dtype=np.int32), rank=np.array(cols[3], dtype=np.int8),
        related=np.array(cols[4], dtype=bool), education=np.array(cols[5], dtype=np.int8),
        min_age=np.array(cols[6], dtype=np.float64), max_age=np.array(cols[7], dtype=np.float64),
        unsure=np.array(cols[8], dtype=bool), codes=list(codes), first=first,
        requirements=requirements)


@dataclass(frozen=True)
class Held:
    """What the profile says the worker holds, as the route checks need it."""

    known: bool  # the ``certificates`` field was given ([] = holds none)
    ranks: dict[str, int]  # occupation code → highest ladder level held
    any_cert: frozenset[str]  # occupation codes with any certificate (专项 included)
    best: int  # highest ladder level held in any occupation, -1 for none
    unresolved: bool  # a certificate whose occupation the classification does not name

    @classmethod
    def of(cls, profile: Profile) -> Held:
        ranks: dict[str, int] = {}
        for cert in profile.certificates:
            rank = levels().rank(cert.level)
            if cert.occupation_code and rank is not None:
                ranks[cert.occupation_code] = max(rank, ranks.get(cert.occupation_code, -1))
        return cls("certificates" in profile.raw, ranks,
                   frozenset(c.occupation_code for c in profile.certificates
                             if c.occupation_code),
                   max(ranks.values(), default=-1),
                   any(c.occupation_code is None for c in profile.certificates))


@dataclass
class RouteChecks:
    """Per route: each condition's outcome (NO/CONFIRM/YES) and the route's."""

    certificate: np.ndarray
    education: np.ndarray
    age: np.ndarray
    unsure: np.ndarray
    status: np.ndarray


def check_routes(t: RouteTable, profile: Profile) -> RouteChecks:
    held = Held.of(profile)
    n = len(t)
    if held.known:
        held_rank = np.array([held.ranks.get(c, -1) for c in t.codes] + [-1], dtype=np.int8)
        held_any = np.array([c in held.any_cert for c in t.codes] + [False], dtype=bool)
        ranked = t.rank >= 0
        met = ranked & (held_rank[t.code] >= t.rank)
        # Unranked (特种作业证, 专项证书): a certificate of that occupation may be the one.
        maybe = (~ranked & held_any[t.code]) | (
            t.related & np.where(ranked, held.best >= t.rank, held.best >= 0))
        # A certificate of an occupation we cannot place may be the one asked for.
        cert = np.where(met, YES, np.where(maybe | held.unresolved, CONFIRM, NO))
        cert = np.where(t.certificate, cert, YES)
    else:
        cert = np.where(t.certificate, CONFIRM, YES)
    schooling = education_rank(profile.raw.get("education"))
    needs_school = t.education >= 0
    if schooling is None:
        edu = np.where(needs_school, CONFIRM, YES)
    else:
        edu = np.where(needs_school & (t.education > schooling), NO, YES)
    age = np.full(n, YES)
    if profile.age is not None:
        too_young = ~np.isnan(t.min_age) & (t.min_age > profile.age)
        too_old = ~np.isnan(t.max_age) & (t.max_age < profile.age)
        age = np.where(too_young | too_old, NO, YES)
    status = np.minimum(np.minimum(cert, edu), age)
    status = np.where(t.unsure, np.minimum(status, CONFIRM), status)
    return RouteChecks(cert.astype(np.int8), edu.astype(np.int8), age.astype(np.int8),
                       t.unsure, status.astype(np.int8))


def program_status(t: RouteTable, n_programs: int, checks: RouteChecks) -> np.ndarray:
    """Per program: YES without routes, else the best of its routes."""
    out = np.full(n_programs, YES, dtype=np.int8)
    if len(t):
        out[t.program] = NO
        np.maximum.at(out, t.program, checks.status)
    return out


def status(t: RouteTable, n_programs: int, profile: Profile) -> np.ndarray:
    return program_status(t, n_programs, check_routes(t, profile))


# ------------------------------------------------------------------------ explanations


def _held_text(profile: Profile) -> str:
    if not profile.certificates:
        return "您说明目前没有职业技能等级（资格）证书"
    held = "、".join(f"{c.occupation}{levels().name(c.level)}" for c in profile.certificates)
    return f"您持有的是{held}证书"


def explain(t: RouteTable, i: int, own_occupation: str, profile: Profile,
            checks: RouteChecks) -> tuple[str, str | None]:
    """Program ``i``'s status name and, unless it is a plain yes, why, in Chinese."""
    lo, hi = int(t.first[i]), int(t.first[i + 1])
    if lo == hi:
        return "yes", None
    req = t.requirements[i]
    statuses = checks.status[lo:hi]
    best = int(statuses.max())
    routes = req.routes
    if best == YES:
        j = int(np.argmax(statuses == YES))
        route = routes[j]
        if route.certificate and profile.certificates:
            return "yes", f"报名条件：{req.text}（{_held_text(profile)}，符合）"
        return "yes", f"报名条件：{req.text}（符合）"
    if best == NO:
        wants = "；或".join(describe(r, own_occupation) for r in routes)
        lead = "要求" if len(routes) == 1 else "要求以下条件之一："
        facts = []
        if any(checks.certificate[lo:hi] == NO):
            facts.append(_held_text(profile))
        if any(checks.education[lo:hi] == NO):
            facts.append(f"您的学历是{profile.raw.get('education')}")
        if any(checks.age[lo:hi] == NO):
            facts.append(f"您{profile.age}岁")
        return "no", f"不满足报名条件：该班{lead}{wants}；{'，'.join(facts)}。"
    j = int(np.argmax(statuses == CONFIRM))
    route, k = routes[j], lo + j
    asks: list[str] = []
    if checks.certificate[k] == CONFIRM:
        asks.append("未说明已有证书" if "certificates" not in profile.raw
                    else "需核对所持证书是否符合")
    if checks.education[k] == CONFIRM:
        asks.append("未说明学历")
    if route.experience:
        asks.append("需核对从业年限")
    if route.unread:
        asks.append(f"「{route.unread}」需人工确认")
    return "confirm", f"报名条件：{req.text}（{'，'.join(asks) or '需确认'}，请确认）"
