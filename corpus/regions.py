"""China's administrative regions, so a filter on 江西省 also finds national rules
and a city inherits its province's policies.

Data: ``data/regions/adcodes.csv`` (see its PROVENANCE.txt). Names resolve with or
without their suffix ("江西" → 江西省, "赣州" → 赣州市, "内蒙古" → 内蒙古自治区).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.errors import InvalidInput

NATIONAL = "全国"
_DATA = Path(__file__).parent / "data" / "regions" / "adcodes.csv"
# Province codes of the four 直辖市 (GB/T 2260).
MUNICIPALITY_PREFIXES = frozenset(("11", "12", "31", "50"))
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "自治州", "地区",
             "省", "市", "盟", "县", "区")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # "national" | "province" | "prefecture" | "county"
    parent: str | None  # parent's code

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0" * 10

    @property
    def is_municipality(self) -> bool:
        """A 直辖市 (北京、天津、上海、重庆): province-level, and also the worker's city."""
        return self.level == "province" and self.code[:2] in MUNICIPALITY_PREFIXES


NATIONAL_REGION = Region(code="000000000000", name=NATIONAL, level="national", parent=None)


def _level(code: str) -> str:
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "prefecture"
    return "county"


def _parent_code(code: str, known: set[str]) -> str:
    if _level(code) == "province":
        return NATIONAL_REGION.code
    prefecture = code[:4] + "0" * 8
    if _level(code) == "county" and prefecture in known:
        return prefecture
    return code[:2] + "0" * 10


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class RegionTable:
    """Lookup by full or short name; ambiguous short names resolve to the higher level."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        known = {code for code, name in rows if name not in _PLACEHOLDERS}
        self.by_code: dict[str, Region] = {NATIONAL_REGION.code: NATIONAL_REGION}
        for code, name in rows:
            if name in _PLACEHOLDERS:
                continue
            self.by_code[code] = Region(code, name, _level(code), _parent_code(code, known))
        order = {"national": 0, "province": 1, "prefecture": 2, "county": 3}
        self.by_name: dict[str, Region] = {}
        self.every_by_name: dict[str, list[Region]] = {}
        for region in sorted(self.by_code.values(), key=lambda r: (order[r.level], r.code)):
            for key in dict.fromkeys((region.name, short_name(region.name))):
                self.by_name.setdefault(key, region)
                self.every_by_name.setdefault(key, []).append(region)
        self.by_name.setdefault("中国", NATIONAL_REGION)
        self.by_name.setdefault("国家", NATIONAL_REGION)

    def find(self, name: str) -> Region | None:
        name = re.sub(r"\s+", "", name or "")
        return self.by_name.get(name) if name else None

    def find_within(self, name: str, within: Region | None) -> Region | None:
        """The region called ``name`` inside ``within`` ("西湖区" in 南昌市 is 南昌's, not
        杭州's); without ``within``, or when none lies inside it, as :meth:`find`."""
        name = re.sub(r"\s+", "", name or "")
        if within is not None:
            for region in self.every_by_name.get(name, []):
                if within in self.lineage(region):
                    return region
        return self.find(name)

    def resolve(self, name: str) -> Region:
        """The region called ``name``, or a clear error naming the bad value."""
        region = self.find(name)
        if region is None:
            raise InvalidInput(
                f"未知地区“{name}”。请填写省、市或县的名称，例如“江西省”“赣州市”，全国性政策填“全国”。",
                code="unknown_region",
                detail={"region": name},
            )
        return region

    def lineage(self, region: Region) -> list[Region]:
        """The region and every region above it, national last."""
        chain = [region]
        while chain[-1].parent is not None:
            chain.append(self.by_code[chain[-1].parent])
        return chain

    def applicable_names(self, name: str) -> set[str]:
        """Document regions whose policies apply to someone in ``name``."""
        return {r.name for r in self.lineage(self.resolve(name))}

    def prefectures(self) -> list[Region]:
        return [r for r in self.by_code.values() if r.level == "prefecture"]


@lru_cache(maxsize=1)
def regions() -> RegionTable:
    with _DATA.open(encoding="utf-8") as fh:
        rows = [(row["adcode"], row["name"]) for row in csv.DictReader(fh)]
    return RegionTable(rows)
