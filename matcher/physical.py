"""Physical demands of occupations against the limits a worker states (不能久站, 恐高 …).

A worker who cannot stand for long should see 焊工 courses demoted with a reason, not a
silent score. The demands come from the classification's own words (name, definition and
main tasks of 职业分类大典（2022年版）) through the word list of
``data/physical_demands.yaml``, so every occupation a catalog can name has them and a
counselor can check why; the limits are the profile's ``physical_limits``
(``corpus/domain/physical_limits.yaml``). How well the words find the real demands is
measured against hand labels in ``tests/test_physical.py``.

Nothing here ranks or filters: ``physical_penalty`` gives one number per program (0 = no
clash) for the ranking to weigh, and ``physical_reason`` the sentence to show.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from corpus.domain.profile import Profile
from corpus.domain.vocabulary import physical_limits
from corpus.normalize import search_text
from matcher.reference import Occupation, classification
from matcher.snapshot import Snapshot

DEMANDS_FILE = Path(__file__).parent / "data" / "physical_demands.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemandSpec(_Strict):
    needs: str = Field(min_length=2)
    words: list[str] = Field(min_length=1)
    hands_on_words: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)

    @field_validator("words", "hands_on_words", "unless")
    @classmethod
    def _plain_words(cls, words: list[str]) -> list[str]:
        for word in words:
            if not word.strip() or word != search_text(word):
                raise ValueError(f"word {word!r} must be non-empty and in normal form")
        if len(set(words)) != len(words):
            raise ValueError(f"duplicated words in {words}")
        return words


class DemandFile(_Strict):
    hands_on_majors: list[str] = Field(min_length=1)
    demands: dict[str, DemandSpec] = Field(min_length=1)
    conflicts: dict[str, dict[str, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> DemandFile:
        limits = physical_limits().codes
        for limit, clashes in self.conflicts.items():
            if limit not in limits:
                raise ValueError(f"conflicts name {limit!r}, not a limit of "
                                 f"physical_limits.yaml {limits}")
            for demand, weight in clashes.items():
                if demand not in self.demands:
                    raise ValueError(f"{limit} clashes with unknown demand {demand!r}")
                if not 0 < weight <= 1:
                    raise ValueError(f"{limit} → {demand}: weight {weight} not in (0, 1]")
        missing = [code for code in limits if code not in self.conflicts]
        if missing:
            raise ValueError(f"limits {missing} clash with nothing: add them to conflicts")
        return self


class ProgramRow(Protocol):
    occupation_code: str | None
    occupation: str | None


@lru_cache(maxsize=1)
def demand_rules() -> DemandFile:
    return DemandFile.model_validate(yaml.safe_load(DEMANDS_FILE.read_text(encoding="utf-8")))


def derive(occ: Occupation, rules: DemandFile | None = None) -> frozenset[str]:
    """The demands the occupation's own text states (rules of ``physical_demands.yaml``)."""
    rules = rules or demand_rules()
    text = search_text(f"{occ.name}：{occ.definition}{occ.tasks}")
    hands_on = occ.code[:1] in rules.hands_on_majors
    found = set()
    for demand, spec in rules.demands.items():
        own = text
        for phrase in spec.unless:
            own = own.replace(phrase, "|")
        words = spec.words + (spec.hands_on_words if hands_on else [])
        if any(word in own for word in words):
            found.add(demand)
    return frozenset(found)


@lru_cache(maxsize=1)
def _all_demands() -> dict[str, frozenset[str]]:
    rules = demand_rules()
    return {occ.code: derive(occ, rules) for occ in classification().occupations}


def demands(code: str | None) -> frozenset[str]:
    """The physical demands of occupation ``code``; empty for a code the classification
    does not hold (a catalog's own code, or none)."""
    return _all_demands().get(code or "", frozenset())


def clashes(code: str | None, limits: tuple[str, ...]) -> list[tuple[str, str, float]]:
    """``(limit, demand, weight)`` for each stated limit that the occupation's demands
    clash with; per limit only its heaviest clashes."""
    own = demands(code)
    table = demand_rules().conflicts
    out: list[tuple[str, str, float]] = []
    for limit in limits:
        hits = {d: w for d, w in table.get(limit, {}).items() if d in own}
        if hits:
            top = max(hits.values())
            out += [(limit, d, w) for d, w in hits.items() if w == top]
    return out


def occupation_penalty(code: str | None, limits: tuple[str, ...]) -> float:
    """Sum over the stated limits of the heaviest clash each finds (0 = none)."""
    return sum({limit: weight for limit, _, weight in clashes(code, limits)}.values())


def physical_penalty(snapshot: Snapshot, profile: Profile) -> np.ndarray:
    """One penalty per program of ``snapshot`` (0 = no clash with the worker's stated
    limits; 1 per limit plainly clashed); computed once per distinct occupation."""
    if not profile.physical_limits:
        return np.zeros(len(snapshot), dtype=np.float64)
    per_occupation = np.array([occupation_penalty(code, profile.physical_limits)
                               for code in snapshot.occ_codes] or [0.0], dtype=np.float64)
    return per_occupation[snapshot.occ_id] if len(snapshot) else np.zeros(0)


def physical_reason(row: ProgramRow, profile: Profile) -> str | None:
    """「焊工需长时间站立或走动作业，与您说明的不能久站不符」, or None when nothing clashes."""
    found = clashes(row.occupation_code, profile.physical_limits)
    if not found:
        return None
    occ = classification().by_code.get(row.occupation_code or "")
    name = occ.name if occ else (row.occupation or "该职业")
    specs = demand_rules().demands
    needs = list(dict.fromkeys(specs[demand].needs for _, demand, _ in found))
    labels = list(dict.fromkeys(physical_limits().label(limit) for limit, _, _ in found))
    return f"{name}需{'、'.join(needs)}，与您说明的{'、'.join(labels)}不符"
