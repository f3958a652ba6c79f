"""Shipped reference data: the 2022 occupational classification, new occupations, the
national shortage lists, a subsidy table and real institution names.

Read from ``matcher/data/reference`` (provenance beside each file), once per process.
Nothing here depends on a home: every home, a new empty one included, has it at once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE = Path(__file__).parent / "data" / "reference"
_MARKER = re.compile(r"(L/S|S/L|S|L)$")


@dataclass(frozen=True)
class Occupation:
    code: str  # e.g. 6-18-02-04
    name: str  # official name without the S / L marker
    definition: str
    tasks: str
    aliases: tuple[str, ...]
    digital: bool  # 数字职业 (S)
    green: bool  # 绿色职业 (L)
    major: str  # 大类 name
    middle: str  # 中类 name
    new_batch: str | None = None  # 新职业 batch (e.g. 2020-B2) when announced as new

    @property
    def text(self) -> str:
        """What the occupation is, for embeddings: name, definition and main tasks."""
        return f"{self.name}：{self.definition}{self.tasks}"


@dataclass(frozen=True)
class Classification:
    occupations: tuple[Occupation, ...]
    by_code: dict[str, Occupation]
    by_name: dict[str, Occupation]

    def find(self, name_or_code: str) -> Occupation | None:
        key = (name_or_code or "").strip()
        return self.by_code.get(key) or self.by_name.get(_MARKER.sub("", key))


@lru_cache(maxsize=1)
def classification() -> Classification:
    """Level-4 rows of 职业分类大典（2022年版）, new-occupation batches attached."""
    with (REFERENCE / "csco22.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["code"]: _MARKER.sub("", r["name"]) for r in rows}
    batches = {code: batch for batch, code in _new_occupation_codes()}
    occupations = []
    for r in rows:
        if r["level"] != "4":
            continue
        marker = _MARKER.search(r["name"])
        flags = marker.group(1) if marker else ""
        code = r["code"]
        major = names.get(code[:1] + "-00-00-00", "")
        middle = names.get(code[:4] + "-00-00", "")
        aliases = _aliases(r.get("alias") or "", _MARKER.sub("", r["name"]))
        occupations.append(Occupation(
            code=code, name=_MARKER.sub("", r["name"]), definition=r["definition"] or "",
            tasks=r["tasks"] or "", aliases=aliases, digital="S" in flags, green="L" in flags,
            major=major, middle=middle, new_batch=batches.get(code)))
    by_code = {o.code: o for o in occupations}
    by_name: dict[str, Occupation] = {}
    for o in occupations:
        by_name.setdefault(o.name, o)
    return Classification(tuple(occupations), by_code, by_name)


def _aliases(column: str, name: str) -> tuple[str, ...]:
    """The alias column, with the occupation's own name written with its S / L marker
    ("光伏组件制造工L") read as the name: the marker is a flag, not part of what people say."""
    out = []
    for alias in (a.strip() for a in column.split(",")):
        if alias and _MARKER.sub("", alias) == name:
            alias = name
        if alias and alias not in out:
            out.append(alias)
    return tuple(out)


def _new_occupation_codes() -> list[tuple[str, str]]:
    with (REFERENCE / "new_occupations_2019_2025.csv").open(encoding="utf-8") as fh:
        return [(r["batch"], r["code_2022_dadian"]) for r in csv.DictReader(fh)
                if r["in_2022_dadian"].startswith("Y") and r["code_2022_dadian"]]


@dataclass(frozen=True)
class NewOccupation:
    batch: str
    announced: str
    name: str
    code: str | None  # None for occupations announced after the 2022 classification


@lru_cache(maxsize=1)
def new_occupations() -> tuple[NewOccupation, ...]:
    with (REFERENCE / "new_occupations_2019_2025.csv").open(encoding="utf-8") as fh:
        return tuple(NewOccupation(r["batch"], r["announce_date"], r["occupation"],
                                   r["code_2022_dadian"] or None) for r in csv.DictReader(fh))


@dataclass(frozen=True)
class ShortageRow:
    region: str
    period: str
    occupation: str
    occupation_code: str | None
    rank: int | None
    source: str


@lru_cache(maxsize=1)
def national_shortage() -> tuple[ShortageRow, ...]:
    """人社部 “最缺工” national rankings, top 10 per published quarter (2019Q3–2022Q3)."""
    with (REFERENCE / "top10_by_quarter.csv").open(encoding="utf-8") as fh:
        return tuple(ShortageRow("全国", r["quarter"], r["occupation"],
                                 r["code_2022_dadian"] or None, int(r["rank"]), r["source_url"])
                     for r in csv.DictReader(fh))


@dataclass(frozen=True)
class SubsidyTrade:
    trade: str
    hours: int
    fee_class: str
    subsidy_yuan: int | None


@lru_cache(maxsize=1)
def subsidy_table() -> tuple[SubsidyTrade, ...]:
    """青海 2019 short-course hours and subsidy classes (amounts only for A+ trades)."""
    out = []
    path = REFERENCE / "qinghai_short_training_trades_subsidy_2019.csv"
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            amount = re.match(r"(\d+)元", r["subsidy_note"] or "")
            out.append(SubsidyTrade(r["trade"], int(r["training_hours"]), r["fee_class"],
                                    int(amount.group(1)) if amount else None))
    return tuple(out)


@dataclass(frozen=True)
class Institution:
    province: str
    city: str
    district: str
    name: str


@lru_cache(maxsize=1)
def institutions() -> tuple[Institution, ...]:
    """54 real training institutions from 临沂市's open-data catalog."""
    with (REFERENCE / "linyi_training_orgs_2025.csv").open(encoding="utf-8") as fh:
        return tuple(Institution(r["province"], r["city"], r["district"], r["name"])
                     for r in csv.DictReader(fh))
