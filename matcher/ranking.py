"""Ranking programs for one worker: hard rules, soft factors, diversity, reasons.

    profile ─► parse ─► enterability ─► hard rules (filters) ─► factors ─► weighted score
            ─► order (named, near, enterable: ordering.py) ─► diversity
            ─► top k with a score per factor, reasons in Chinese, and a notice with
               alternatives when nothing nearby is open for what the worker named

Everything the ranking had to assume (no place given, no travel range …) is returned as
``assumptions`` so the counselor sees it and can fill the gap.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from corpus.db import Document
from corpus.domain.profile import Profile, parse_profile
from corpus.errors import InvalidInput, NotFound
from matcher import enterability, locality, ordering, vocab, weights
from matcher import factors as F
from matcher.db import current_version
from matcher.filters import Context, excluded_by, held_levels, rule_masks
from matcher.fit_reason import FIT_REASON_Z, standing
from matcher.interest import Interest
from matcher.notice import THEORY_ONLY, nothing_nearby
from matcher.occupations import OccupationResolver
from matcher.physical import physical_penalty, physical_reason
from matcher.reference import classification
from matcher.shortage import ShortageLists
from matcher.snapshot import Snapshot, load_snapshot
from matcher.subsidy import (
    ProgramSubsidy,
    RuleEvaluator,
    SubsidyFinding,
    program_subsidies,
    training_subsidy,
)
from matcher.vectors import VectorCache

MAX_K = 100
MIN_COHORT_SHOWN = 30  # smaller cohorts' rates are noise, not a reason to choose
SUBSIDY_MEMO = 20_000  # remembered (worker, region) subsidy findings, a few MB


@dataclass
class Scored:
    snapshot: Snapshot
    context: Context
    mask: np.ndarray
    total: np.ndarray
    factors: dict[str, np.ndarray]
    extras: dict[str, Any]
    assumptions: list[str]


class Matcher:
    def __init__(self, sessions: sessionmaker, resolver: OccupationResolver,
                 programs_cache: VectorCache, rules: RuleEvaluator) -> None:
        self.sessions = sessions
        self.resolver = resolver
        self.programs_cache = programs_cache
        self.rules = rules
        self._lock = threading.Lock()
        self._version: int | None = None
        self._snapshot: Snapshot | None = None
        self._title_rows: np.ndarray | None = None
        self._title_matrix: np.ndarray | None = None
        self._occ_rows: np.ndarray | None = None
        self._titles: dict[str, str] = {}
        # Subsidy findings per worker and region, dropped with the snapshot (program_subsidies).
        self._subsidy_memo: dict[tuple[Any, ...], Any] = {}
        # Read with the snapshot: every shortage import bumps the same catalog version.
        self._shortage = ShortageLists([])

    # -- catalog --------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The catalog as columns, with the shortage lists, reloaded when either changes
        (checked on every request: another process may have imported)."""
        with self.sessions() as session:
            version = current_version(session)
            with self._lock:
                if self._snapshot is None or version != self._version:
                    snap = load_snapshot(session)
                    self._prepare_vectors(snap)
                    self._titles = {doc_id: title for doc_id, title in
                                    session.execute(select(Document.id, Document.title))}
                    self._shortage = ShortageLists.load(session)
                    self._snapshot, self._version = snap, version
                    self._subsidy_memo = {}
                return self._snapshot

    def _prepare_vectors(self, snap: Snapshot) -> None:
        unique = list(dict.fromkeys(snap.title_text))
        row_of = {t: i for i, t in enumerate(unique)}
        self._title_matrix = self.programs_cache.vectors(unique)
        self._title_rows = np.array([row_of[t] for t in snap.title_text], dtype=np.int64)
        occ_index = {o.code: i for i, o in enumerate(self.resolver.occupations)}
        self._occ_rows = np.array([occ_index.get(c or "", -1) for c in snap.occupation_code],
                                  dtype=np.int64)
        self.resolver.matrix()

    # -- scoring --------------------------------------------------------------------------
    def score(self, profile_data: Any, weight_overrides: Any = None,
              today: dt.date | None = None) -> Scored:
        profile = parse_profile(profile_data, occupation_code)
        w = weights.weights(weight_overrides)
        today = today or dt.date.today()
        snap = self.snapshot()
        assumptions: list[str] = []
        travel = _travel(profile, assumptions)
        checks = enterability.check_routes(snap.routes, profile)
        status = enterability.program_status(snap.routes, len(snap), checks)
        context = Context(profile, today, travel, status, checks)
        masks = rule_masks(snap, context)
        mask = np.logical_and.reduce(list(masks.values()))

        interest = Interest.of(profile.interests_text)
        similarity, named, fit_z = self._fit_inputs(profile, snap, interest, assumptions)
        in_force = self._shortage.in_force(profile.region)
        subsidy = training_subsidy(self.rules, profile, today, self._titles)
        outcome, employment, passing = F.outcomes(snap)
        held = held_levels(profile)
        practised = {r.code for r in self.resolver.named(profile.current_occupation or "")}
        values = {
            "fit": F.fit(similarity, named),
            "shortage": F.shortage(snap, in_force),
            "brand": F.brand(snap),
            "outcomes": outcome,
            "cost": F.cost(snap, profile, subsidy.verdict),
            "convenience": F.convenience(snap, profile),
            "progression": F.progression(snap, held, practised),
        }
        total = sum(w[name] * values[name] for name in values) / sum(w.values())
        physical = physical_penalty(snap, profile)
        total = total - weights.physical_step() * physical
        _note_gaps(profile, assumptions)
        tier = locality.tiers(snap, profile)
        group = np.where(named, np.where(interest.level_ok(snap), ordering.NAMED_LEVEL,
                                         ordering.NAMED), ordering.OTHER).astype(np.int8)
        extras = {"in_force": in_force, "subsidy": subsidy, "employment": employment,
                  "passing": passing, "named": named, "held": held, "fit_z": fit_z,
                  "enterable": status, "checks": checks, "masks": masks, "tier": tier,
                  "group": group, "interest": interest, "physical": physical}
        return Scored(snap, context, mask, total, values, extras, assumptions)

    def _fit_inputs(self, profile: Profile, snap: Snapshot, interest: Interest,
                    assumptions: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per program: the fit similarity, whether its occupation was named, and how far
        its occupation stands out for this text (the fit reason's bar, fit_reason.py)."""
        named = snap.is_occupation(set(interest.codes))
        if not profile.text:
            assumptions.append("未说明想学什么或会做什么，契合度按中性计；"
                               "补充兴趣或技能后排序会更准。")
            return (np.full(len(snap), (F.FIT_LOW + F.FIT_HIGH) / 2), named,
                    np.full(len(snap), -np.inf))
        query = self.resolver.query_vector(profile.text)
        assert self._title_matrix is not None and self._title_rows is not None
        assert self._occ_rows is not None
        title_sim = (self._title_matrix @ query)[self._title_rows]
        occupations = self.resolver.matrix() @ query
        occ_sim = np.concatenate([occupations, [0.0]])[self._occ_rows]
        fit_z = np.concatenate([standing(occupations), [-np.inf]])[self._occ_rows]
        return np.maximum(title_sim, occ_sim), named, fit_z

    # -- results --------------------------------------------------------------------------
    def match(self, profile_data: Any, k: int = 10, weight_overrides: Any = None,
              today: dt.date | None = None) -> dict[str, Any]:
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise InvalidInput(f"k 应在 1 到 {MAX_K} 之间。", code="bad_k", detail={"k": k})
        scored = self.score(profile_data, weight_overrides, today)
        order = diverse_order(scored, k)
        self._program_subsidies(scored, order)
        notice, alternatives = _nothing_nearby(scored)
        return {"results": [self._result(scored, i) for i in order],
                "notice": notice, "alternatives": alternatives,
                "assumptions": scored.assumptions,
                "weights": weights.weights(weight_overrides),
                "eligible": int(scored.mask.sum()), "catalog": len(scored.snapshot)}

    def why_not(self, profile_data: Any, program_id: str, k: int = 10,
                weight_overrides: Any = None, today: dt.date | None = None) -> dict[str, Any]:
        scored = self.score(profile_data, weight_overrides, today)
        snap = scored.snapshot
        i = snap.index.get(program_id)
        if i is None:
            raise NotFound(f"目录中没有编号为“{program_id}”的项目。", code="program_not_found",
                           detail={"program_id": program_id})
        failed = excluded_by(snap, i, scored.context)
        status, why = _enterability(scored, i)
        out: dict[str, Any] = {"program_id": program_id, "title": snap.rows[i].title,
                               "excluded": bool(failed), "rules": failed,
                               "enterable": status, "enterable_reason": why,
                               "assumptions": scored.assumptions}
        if not failed:
            order = diverse_order(scored, len(snap))
            rank = order.index(i) + 1
            out["rank"] = rank
            self._program_subsidies(scored, [i])
            out["result"] = self._result(scored, i)
            if rank > k:
                kth = order[k - 1]
                out["behind"] = [
                    f"{weights.label(name)}：{values[i]:.2f}，第{k}名为 {values[kth]:.2f}"
                    for name, values in scored.factors.items() if values[i] < values[kth] - 0.05]
        return out

    def _program_subsidies(self, scored: Scored, shown: list[int]) -> None:
        """Each shown program's subsidy by the rules of its own region (once per region)."""
        scored.extras["program_subsidy"] = program_subsidies(
            self.rules, scored.context.profile, scored.snapshot, scored.context.today,
            self._titles, indices=shown, memo=self._subsidy_memo)
        if len(self._subsidy_memo) > SUBSIDY_MEMO:
            self._subsidy_memo.clear()

    def _result(self, scored: Scored, i: int) -> dict[str, Any]:
        row = scored.snapshot.rows[i]
        found: ProgramSubsidy | None = scored.extras.get("program_subsidy", {}).get(
            row.program_id)
        values = {name: round(float(v[i]), 3) for name, v in scored.factors.items()}
        status, why = _enterability(scored, i)
        return {
            "program_id": row.program_id, "title": row.title, "occupation": row.occupation,
            "occupation_code": row.occupation_code, "level": row.level,
            "provider": row.provider, "province": row.province, "city": row.city,
            "county": row.county, "mode": row.mode, "hours": row.hours,
            "fee_yuan": row.fee_yuan, "start_date": row.start_date.isoformat()
            if row.start_date else None, "brand_level": row.brand_level,
            "is_sample": row.is_sample,
            "score": round(float(scored.total[i]), 4), "factors": values,
            "enterable": status, "enterable_reason": why,
            "locality": locality.TIER_NAMES[int(scored.extras["tier"][i])],
            "subsidy": {"status": found.status, "place": found.place,
                        "out_of_pocket_yuan": found.out_of_pocket_yuan,
                        "if_granted_yuan": found.if_granted_yuan, "rule_id": found.rule_id,
                        "reason": found.reason, "questions": list(found.questions)}
            if found else None,
            "reasons": reasons(scored, i),
        }


def diverse_order(scored: Scored, k: int) -> list[int]:
    """Eligible programs in order (named first, near before far, by score, enterable before
    needing confirmation: ordering.py); a near-identical one (same occupation, level and
    provider as one already placed) waits until every group has had its turn."""
    snap, ex = scored.snapshot, scored.extras
    ranked = ordering.ranked(np.flatnonzero(scored.mask), scored.total, ex["group"],
                             ex["tier"], snap.occ_id, ex["enterable"])
    keys = weights.diversity_key()
    first: list[int] = []
    later: list[int] = []
    seen: set[tuple[Any, ...]] = set()
    for i in ranked:
        row = snap.rows[int(i)]
        key = tuple(getattr(row, name) for name in keys)
        (later if key in seen else first).append(int(i))
        seen.add(key)
        if len(first) >= k:
            break
    return (first + later)[:k]


def reasons(scored: Scored, i: int) -> list[str]:
    """Plain-Chinese reasons for one program, strongest first."""
    snap, ex = scored.snapshot, scored.extras
    row = snap.rows[i]
    out: list[str] = []
    clash = physical_reason(row, scored.context.profile)
    if clash:
        out.append(f"{clash}（请确认）")
    if ex["named"][i]:
        out.append(f"符合您想学的方向：{row.occupation}")
    elif ex["fit_z"][i] >= FIT_REASON_Z:
        out.append(f"与您的技能和兴趣较契合：{row.occupation}")
    hit = ex["in_force"].get(row.occupation_code or "")
    if hit:
        out.append(hit.reason())
    if row.brand_level and row.brand_level != "无":
        tier = "自治区级" if row.brand_level == "省级" and row.province == "内蒙古自治区" \
            else row.brand_level
        rate = f"，上年度就业率{row.employment_rate:.0f}%" if row.employment_rate is not None \
            else ""
        out.append(f"{tier}培训品牌{rate}")
    elif row.employment_rate is not None and (row.trained_last_year or 0) >= MIN_COHORT_SHOWN:
        out.append(f"上年度培训{row.trained_last_year}人，就业率{row.employment_rate:.0f}%")
    per_program: ProgramSubsidy | None = ex.get("program_subsidy", {}).get(row.program_id)
    subsidy: SubsidyFinding = ex["subsidy"]
    if per_program is not None:
        out.append(per_program.reason if per_program.status in ("subsidised", "conditional")
                   else f"补贴性培训项目：{per_program.reason}")
    elif row.subsidized and subsidy.reason:
        out.append(subsidy.reason)
    elif row.subsidized:
        out.append("补贴性培训项目（是否能享受补贴以当地人社部门审核为准）")
    held = ex["held"].get(row.occupation_code or "")
    rank = vocab.level_rank(row.level)
    if held is not None and rank is not None and rank == held + 1:
        out.append(f"在您已有的{vocab.LEVEL_NAMES[vocab.LEVELS[held]]}基础上晋升"
                   f"{vocab.LEVEL_NAMES[row.level or '']}")
    if row.mode == "线上":
        out.append(f"线上培训：{THEORY_ONLY}" if snap.hands_on[i] else "线上培训，不受地点限制")
    _, why = _enterability(scored, i)
    if why:
        out.append(why)
    if row.target_groups and not scored.context.profile.groups:
        out.append(f"只面向{'、'.join(row.target_groups)}（请确认您是否属于）")
    if row.is_sample:
        out.append("（示例数据）")
    return out


def occupation_code(name: str) -> str | None:
    """A certificate's occupation in the 2022 classification, for its level ladder: the
    official name, else what the name says outright ("电焊工" → 焊工) when it names one
    occupation only."""
    occupation = classification().find(name)
    if occupation:
        return occupation.code
    named = {r.code for r in OccupationResolver.named(name)}
    return named.pop() if len(named) == 1 else None


def _enterability(scored: Scored, i: int) -> tuple[str, str | None]:
    """Program ``i``'s yes/confirm/no for this worker and, unless a plain yes, why."""
    snap = scored.snapshot
    return enterability.explain(snap.routes, i, snap.rows[i].occupation,
                                scored.context.profile, scored.extras["checks"])


def _nothing_nearby(scored: Scored) -> tuple[str | None, list[dict[str, Any]]]:
    ex = scored.extras
    if not ex["interest"].codes:
        return None, []
    order_key = ex["tier"] * 10.0 - scored.total  # near first, then by score
    return nothing_nearby(scored.snapshot, ex["interest"], ex["masks"], order_key,
                          ex["enterable"], scored.context.profile, scored.context.travel)


def _travel(profile: Profile, assumptions: list[str]) -> str:
    if profile.travel:
        return profile.travel
    if profile.city:
        assumptions.append(f"未说明能去多远参加培训，按本市（{profile.city}）及线上项目计。")
        return "same_city"
    if profile.province:
        assumptions.append(f"未说明能去多远参加培训，按本省（{profile.province}）及线上项目计。")
        return "same_province"
    assumptions.append("未提供所在地区，按全国范围的项目计；紧缺职业按全国目录计。")
    return "anywhere"


def _note_gaps(profile: Profile, assumptions: list[str]) -> None:
    if profile.age is None:
        assumptions.append("未提供年龄，未按项目的年龄要求筛选。")
    if not profile.groups:
        assumptions.append("未说明所属人群（如退役军人、农民工），补贴资格按一般情况计。")
    if "certificates" not in profile.raw:
        assumptions.append("未说明已有证书，未按等级晋升筛选；要求证书的班标为「请确认」，"
                           "排在同职业可直接报名的班之后。")
