"""Shortage lists in force: the newest period of each region, shipped and imported.

The shipped national “最缺工” rankings are always there (every home, a new one included);
lists imported with ``jnt shortage import`` add regions or newer periods. Older periods
stay in the database for history but do not rank anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from corpus.regions import Region, regions
from matcher.db import ShortageEntry
from matcher.reference import national_shortage

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def period_key(period: str) -> tuple[int, int]:
    m = _PERIOD.match(period.strip().upper())
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def period_label(period: str) -> str:
    """"2022Q3" → "2022年三季度"; "2024" → "2024年"."""
    m = _PERIOD.match(period.strip().upper())
    if not m:
        return period
    return f"{m.group(1)}年{_QUARTERS[m.group(2)]}季度" if m.group(2) else f"{m.group(1)}年"


@dataclass(frozen=True)
class ShortageHit:
    region: str
    period: str
    occupation: str
    occupation_code: str
    rank: int | None

    def reason(self) -> str:
        place = "全国" if self.region == "全国" else self.region
        rank = f"第{self.rank}位" if self.rank else "在列"
        return (f"紧缺职业：{self.occupation}（{period_label(self.period)}{place}"
                f"“最缺工”{rank}）" if self.region == "全国" else
                f"紧缺职业：{self.occupation}（{place}{period_label(self.period)}紧缺职业目录{rank}）")


class ShortageLists:
    """Entries by region; ``in_force(region)`` keeps only each region's newest period."""

    def __init__(self, entries: list[ShortageHit]) -> None:
        self._by_region: dict[str, list[ShortageHit]] = {}
        for e in entries:
            self._by_region.setdefault(e.region, []).append(e)

    @classmethod
    def load(cls, session: Session | None) -> ShortageLists:
        entries = [ShortageHit(r.region, r.period, r.occupation, r.occupation_code, r.rank)
                   for r in national_shortage() if r.occupation_code]
        if session is not None:
            for row in session.scalars(select(ShortageEntry)):
                if row.occupation_code:
                    entries.append(ShortageHit(row.region, row.period, row.occupation,
                                               row.occupation_code, row.rank))
        return cls(entries)

    def newest(self, region: str) -> list[ShortageHit]:
        rows = self._by_region.get(region, [])
        if not rows:
            return []
        latest = max(period_key(r.period) for r in rows)
        return [r for r in rows if period_key(r.period) == latest]

    def in_force(self, region: Region | None) -> dict[str, ShortageHit]:
        """Occupation code → the most local list naming it: city, then province, then
        the nation."""
        chain = [r.name for r in regions().lineage(region)] if region else []
        chain = [n for n in chain if n != "全国"] + ["全国"]
        out: dict[str, ShortageHit] = {}
        for name in chain:
            for hit in sorted(self.newest(name), key=lambda h: h.rank or 999):
                out.setdefault(hit.occupation_code, hit)
        return out
