"""The catalog as columns: every program's fields in numpy arrays, read once per catalog
version, so a ranking over 100,000 programs is a handful of vector operations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import vocab
from matcher.db import Program
from matcher.enterability import RouteTable, route_table
from matcher.hands_on import is_hands_on

_NO_DATE = np.iinfo(np.int32).min


@dataclass
class Snapshot:
    ids: list[str]
    rows: list[Program]  # detached ORM rows, for output and "why not"
    index: dict[str, int]
    occupation_code: np.ndarray  # object
    level: np.ndarray  # object (canonical)
    level_rank: np.ndarray  # int8, -1 off the ladder
    provider: np.ndarray  # object
    province: np.ndarray
    city: np.ndarray
    county: np.ndarray
    online: np.ndarray  # bool: 线上 only
    mode: np.ndarray  # object
    hours: np.ndarray  # float, nan when unknown
    fee: np.ndarray  # float, nan when unknown
    subsidized: np.ndarray  # bool
    brand_rank: np.ndarray  # int8
    trained: np.ndarray  # float (0 when unknown)
    pass_rate: np.ndarray  # float 0–100, nan when unknown
    employment_rate: np.ndarray
    start: np.ndarray  # int64 ordinal, _NO_DATE when unknown
    end: np.ndarray  # int64 ordinal, _NO_DATE when unknown
    capacity: np.ndarray  # float, nan when unknown
    enrolled: np.ndarray  # float, nan when unknown
    min_age: np.ndarray  # float, nan when unknown
    max_age: np.ndarray
    restricted: np.ndarray  # bool: target_groups not empty
    schedule: np.ndarray  # object
    title_text: list[str]
    occ_id: np.ndarray  # int32 index into ``occ_codes`` (fast equality at 100k)
    occ_codes: list[str | None]
    routes: RouteTable  # the 报名条件 read into checkable routes (matcher/enterability.py)
    hands_on: np.ndarray  # bool: a hands-on trade (an online class is theory only)
    _groups: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def is_occupation(self, codes: set[str] | str) -> np.ndarray:
        """Programs whose occupation code is one of ``codes``."""
        wanted = {codes} if isinstance(codes, str) else codes
        ids = [i for i, c in enumerate(self.occ_codes) if c in wanted]
        return np.isin(self.occ_id, ids)

    def open_to(self, group: str) -> np.ndarray:
        """Restricted programs that name ``group`` among their target groups."""
        if group not in self._groups:
            self._groups[group] = np.array([group in (r.target_groups or []) for r in self.rows],
                                           dtype=bool)
        return self._groups[group]


def _f(value: float | int | None) -> float:
    return float(value) if value is not None else np.nan


def load_snapshot(session: Session) -> Snapshot:
    rows = list(session.scalars(select(Program).order_by(Program.program_id)))
    for row in rows:
        session.expunge(row)
    n = len(rows)

    def obj(values: list[object]) -> np.ndarray:
        out = np.empty(n, dtype=object)
        out[:] = values
        return out

    codes = list(dict.fromkeys(r.occupation_code for r in rows))
    code_id = {c: i for i, c in enumerate(codes)}
    enrolled = [_f(r.enrolled if r.enrolled is not None else (r.extra or {}).get("enrolled"))
                for r in rows]
    return Snapshot(
        ids=[r.program_id for r in rows], rows=rows,
        index={r.program_id: i for i, r in enumerate(rows)},
        occupation_code=obj([r.occupation_code for r in rows]),
        level=obj([r.level for r in rows]),
        level_rank=np.array([vocab.level_rank(r.level) if vocab.level_rank(r.level) is not None
                             else -1 for r in rows], dtype=np.int8),
        provider=obj([r.provider for r in rows]),
        province=obj([r.province for r in rows]),
        city=obj([r.city for r in rows]),
        county=obj([r.county for r in rows]),
        online=np.array([r.mode == "线上" for r in rows], dtype=bool),
        mode=obj([r.mode for r in rows]),
        hours=np.array([_f(r.hours) for r in rows], dtype=np.float64),
        fee=np.array([_f(r.fee_yuan) for r in rows], dtype=np.float64),
        subsidized=np.array([bool(r.subsidized) for r in rows], dtype=bool),
        brand_rank=np.array([vocab.BRAND_RANK.get(r.brand_level or "无", 0) for r in rows],
                            dtype=np.int8),
        trained=np.array([float(r.trained_last_year or 0) for r in rows], dtype=np.float64),
        pass_rate=np.array([_f(r.pass_rate) for r in rows], dtype=np.float64),
        employment_rate=np.array([_f(r.employment_rate) for r in rows], dtype=np.float64),
        start=_ordinals([r.start_date for r in rows]),
        end=_ordinals([r.end_date for r in rows]),
        capacity=np.array([_f(r.capacity) for r in rows], dtype=np.float64),
        enrolled=np.array(enrolled, dtype=np.float64),
        min_age=np.array([_f(r.min_age) for r in rows], dtype=np.float64),
        max_age=np.array([_f(r.max_age) for r in rows], dtype=np.float64),
        restricted=np.array([bool(r.target_groups) for r in rows], dtype=bool),
        schedule=obj([r.schedule for r in rows]),
        title_text=[program_text(r) for r in rows],
        occ_id=np.array([code_id[r.occupation_code] for r in rows], dtype=np.int32),
        occ_codes=codes,
        routes=route_table([r.prerequisite for r in rows], [r.occupation_code for r in rows]),
        hands_on=np.array([is_hands_on(r.occupation_code) for r in rows], dtype=bool),
    )


def _ordinals(dates: list[dt.date | None]) -> np.ndarray:
    return np.array([d.toordinal() if isinstance(d, dt.date) else _NO_DATE for d in dates],
                    dtype=np.int64)


def program_text(row: Program) -> str:
    """What the program teaches, for the fit embedding: its title and occupation. The
    description is left out on purpose: titles repeat across providers, so 100,000
    programs hold a few thousand distinct texts and embed in minutes, not hours."""
    return f"{row.title}（{row.occupation}）"
