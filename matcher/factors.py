"""Soft factors: each scores every program 0–1 for one worker (see data/weights.yaml).

Vectorised over the snapshot. Factors read only what the profile says and the catalog
holds; none reads gender or ethnicity (the profile parser drops them).
"""

from __future__ import annotations

import numpy as np

from corpus.domain.profile import Profile
from matcher.shortage import ShortageHit
from matcher.snapshot import Snapshot

# e5-small cosines of related texts sit in roughly 0.80–0.92: that span maps onto 0–1.
FIT_LOW, FIT_HIGH = 0.80, 0.92
PSEUDO_COHORT = 30.0  # trainees' worth of weight the catalog mean gets in the shrinkage
FEE_SCALE = 5000.0  # a fee at or above this (元) scores 0 on cost


def fit(similarity: np.ndarray, named: np.ndarray) -> np.ndarray:
    """Similarity rescaled to 0–1; an occupation the worker named outright scores 1."""
    scaled = np.clip((similarity - FIT_LOW) / (FIT_HIGH - FIT_LOW), 0.0, 1.0)
    return np.where(named, 1.0, scaled)


def shortage(s: Snapshot, in_force: dict[str, ShortageHit]) -> np.ndarray:
    """1 for rank 1 down to 0.5 for rank 100 (or an unranked listing); 0 off the lists."""
    out = np.zeros(len(s))
    for code, hit in in_force.items():
        rank = hit.rank or 100
        out[s.is_occupation(code)] = 1.0 - 0.5 * (min(rank, 100) - 1) / 99
    return out


def brand(s: Snapshot) -> np.ndarray:
    return s.brand_rank.astype(np.float64) / 4.0


def shrunk(rate: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """Rates pulled toward the cohort-weighted catalog mean by ``PSEUDO_COHORT`` trainees:
    3 of 3 (100%) lands near the mean, 380 of 400 stays near 95%. A program with no
    cohort contributes nothing to the mean, so changing its rate moves no other program."""
    known = ~np.isnan(rate) & (cohort > 0)
    total = cohort[known].sum()
    prior = float((rate[known] * cohort[known]).sum() / total) if total > 0 else 70.0
    n = np.where(known, cohort, 0.0)
    r = np.where(known, rate, prior)
    return (n * r + PSEUDO_COHORT * prior) / (n + PSEUDO_COHORT)


def outcomes(s: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    employment = shrunk(s.employment_rate, s.trained)
    passing = shrunk(s.pass_rate, s.trained)
    return (0.7 * employment + 0.3 * passing) / 100.0, employment, passing


def cost(s: Snapshot, profile: Profile, subsidy_verdict: str | None) -> np.ndarray:
    """What the program costs this worker: free when subsidised and the worker qualifies."""
    fee = np.where(np.isnan(s.fee), FEE_SCALE / 2, s.fee)
    base = 1.0 - np.clip(fee / FEE_SCALE, 0.0, 1.0)
    if profile.budget_yuan is not None:
        base = np.where(fee <= profile.budget_yuan, np.maximum(base, 0.8), base * 0.5)
    covered = {"yes": 1.0, "conditional": 0.85}.get(subsidy_verdict or "")
    if covered is None:
        return base
    return np.where(s.subsidized, np.maximum(base, covered), base)


def convenience(s: Snapshot, profile: Profile) -> np.ndarray:
    """Mode, schedule and hours against what the worker wants; 0.5 where nothing is said."""
    parts: list[np.ndarray] = []
    if profile.mode:
        blended = s.mode == "线上线下结合"
        parts.append(np.where(s.mode == profile.mode, 1.0, np.where(blended, 0.6, 0.0)))
    if profile.schedule:
        known = np.array([x is not None for x in s.schedule], dtype=bool)
        parts.append(np.where(s.schedule == profile.schedule, 1.0, np.where(known, 0.2, 0.5)))
    if profile.max_hours:
        hours = np.where(np.isnan(s.hours), profile.max_hours, s.hours)
        parts.append(np.clip(1.0 - (hours - profile.max_hours) / profile.max_hours, 0.0, 1.0))
    return np.mean(parts, axis=0) if parts else np.full(len(s), 0.5)


def progression(s: Snapshot, held: dict[str, int], practised: set[str]) -> np.ndarray:
    """1 for the next level up in an occupation held; 0.5 further up or in an occupation
    the worker already practises."""
    out = np.zeros(len(s))
    if practised:
        out[s.is_occupation(practised)] = 0.5
    for code, rank in held.items():
        same = s.is_occupation(code)
        out[same & (s.level_rank > rank + 1)] = 0.5
        out[same & (s.level_rank == rank + 1)] = 1.0
    return out
