"""A deterministic SAMPLE training catalog, for demos, import tests and benchmarks.

No job center has published its two catalogs to us, so the matcher needs stand-in rows
that look like real ones and say plainly that they are not: every ``description`` starts
with “【示例数据】”, an extra column ``sample`` reads “示例数据”, ids are ``SAMPLE-000001``…,
and contacts are placeholders marked （示例）. Rows use the keys of
``shared/schemas/program_catalog.md`` plus two extra columns (``enrolled``, ``sample``),
so the ordinary importer reads them as a catalog.

Everything factual comes from data shipped in the repo: occupations (codes, names,
definitions, tasks) from the 2022 classification, the national “最缺工” lists, the new
occupation batches, hours/fee classes/subsidy amounts from the 青海 2019 short-course table,
real 临沂 institution names, and real provinces, cities and counties. The hand-written
choices (industry → occupations, provider name patterns, weights) are in
``data/sample_vocab.yaml``.

Brand tiers: a row labelled 省级（自治区级） meets the 自治区级 thresholds of
``assistant/rules/neimenggu_brand.yaml`` (上年度培训规模, 合格率, 就业率, 重点群体, 订单式占比),
市级（盟市级） the 盟市级 ones, read from that file at run time. The plan leaves 旗县级 figures
to each 旗县, so 县级（旗县级） rows meet the sample's own floor (``county_brand_floor`` in the
vocabulary, not policy). 国家级 rows meet the 自治区级 thresholds. Rows outside 内蒙古 use the
same thresholds: the sample has no other province's figures, and a brand should never
look weaker than 内蒙古's bar.

Determinism: one ``random.Random(seed)`` drives every draw, tables are built in file or
code order (never from set or hash order), so the same ``n`` and ``seed`` give
byte-identical CSV. Titles and descriptions depend only on occupation × level × training
type, which keeps the distinct texts the matcher embeds to a few thousand at any size.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import math
import re
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from random import Random
from typing import Any, TypeVar

import yaml

from corpus.regions import RegionTable, regions
from matcher.reference import (
    Occupation,
    SubsidyTrade,
    classification,
    institutions,
    national_shortage,
    subsidy_table,
)
from matcher.vocab import LEVEL_NAMES, LEVELS, PROVIDER_TYPES

VOCAB_FILE = Path(__file__).parent / "data" / "sample_vocab.yaml"
SAMPLE_MARK = "示例数据"
DESCRIPTION_PREFIX = "【示例数据】"
REFERENCE_DATE = date(2026, 11, 22)  # "today" for the sample: earlier starts have begun
FIRST_START = date(2026, 9, 1)
LAST_END = date(2027, 6, 30)
WINDOW = (LAST_END - FIRST_START).days  # dates are kept as day offsets from FIRST_START
TODAY = (REFERENCE_DATE - FIRST_START).days
ISO_DAYS = tuple((FIRST_START + timedelta(days=d)).isoformat() for d in range(WINDOW + 1))
LOG_3, LOG_600 = math.log(3), math.log(600)

COLUMNS = (
    "program_id", "title", "occupation", "occupation_code", "level", "certificate",
    "provider", "provider_type", "province", "city", "county", "mode", "hours", "days",
    "fee_yuan", "subsidized", "target_groups", "industry", "brand_level",
    "trained_last_year", "pass_rate", "employment_rate", "key_group_trained",
    "order_based_ratio", "start_date", "end_date", "schedule", "capacity", "min_age",
    "max_age", "prerequisite", "description", "contact", "enrolled", "sample",
)
REQUIRED = ("program_id", "title", "occupation", "provider", "province", "mode")

# Where a row's occupation comes from; the rest are drawn industry first.
SHARE_SHORTAGE = 0.22
SHARE_NEW = 0.08
SHARE_NEW_FORMS = 0.06
PROVINCE_BOOST = 4.0  # an industry tagged for the row's province counts this much more

LEVEL_WEIGHTS = {"五级": 30, "四级": 25, "三级": 16, "二级": 5, "一级": 2,
                 "专项职业能力": 12, "不分级": 10}
NEW_FORM_LEVEL_WEIGHTS = {"五级": 35, "四级": 25, "三级": 10, "专项职业能力": 15, "不分级": 15}
EMPLOYMENT, UPSKILLING, STARTUP, NEW_OCCUPATION, SPECIAL = (
    "就业技能培训", "岗位技能提升培训", "创业培训", "新职业培训", "专项能力培训")
# Training type by level (新职业培训 is dropped for occupations that are not new).
KIND_WEIGHTS = {
    "五级": {EMPLOYMENT: 60, UPSKILLING: 15, NEW_OCCUPATION: 25},
    "四级": {EMPLOYMENT: 35, UPSKILLING: 50, NEW_OCCUPATION: 15},
    "三级": {UPSKILLING: 80, NEW_OCCUPATION: 20},
    "二级": {UPSKILLING: 80, NEW_OCCUPATION: 20},
    "一级": {UPSKILLING: 80, NEW_OCCUPATION: 20},
    "专项职业能力": {SPECIAL: 1},
    "不分级": {EMPLOYMENT: 50, STARTUP: 35, NEW_OCCUPATION: 15},
}
LEVEL_FACTOR = {"三级": 1.2, "二级": 1.5, "一级": 1.8}
MODE_WEIGHTS_DIGITAL = {"线下": 40, "线上": 35, "线上线下结合": 25}
MODE_WEIGHTS_OTHER = {"线下": 82, "线上": 4, "线上线下结合": 14}
SCHEDULE_WEIGHTS = {
    "线下": {"全日制": 60, "周末班": 20, "晚班": 20},
    "线上": {"弹性学习": 70, "晚班": 20, "周末班": 10},
    "线上线下结合": {"全日制": 30, "周末班": 30, "晚班": 20, "弹性学习": 20},
}
HOURS_PER_DAY = {"全日制": 8, "周末班": 8, "晚班": 3, "弹性学习": 4}
CALENDAR_PER_DAY = {"全日制": 7 / 5, "周末班": 7 / 2, "晚班": 7 / 5, "弹性学习": 7 / 5}
BRAND_LABELS = {"国家级": "国家级", "省级": "省级（自治区级）", "市级": "市级（盟市级）",
                "县级": "县级（旗县级）", "无": "无"}
BRAND_ODDS_NEIMENGGU = {"省级": 0.02, "市级": 0.04, "县级": 0.05}
BRAND_ODDS_OTHER = {"国家级": 0.003, "省级": 0.015, "市级": 0.03, "县级": 0.03}
NEIMENGGU = "内蒙古自治区"
JIANGXI = "江西省"
LINYI = "临沂市"
DRIVING = ("驾驶", "司机", "代驾")

# neimenggu_brand.yaml facts → catalog columns; tier → rule id.
BRAND_FACTS = {"trainees_last_year": "trained_last_year", "pass_rate": "pass_rate",
               "employment_rate": "employment_rate",
               "priority_group_trainees": "key_group_trained",
               "order_based_share": "order_based_ratio"}
BRAND_RULES = {"省级": "nm_brand_region_tier", "市级": "nm_brand_league_tier",
               "县级": "nm_brand_county_tier"}

T = TypeVar("T")
_TASK_SPLIT = re.compile(r"\s*\d+[.．、]\s*")


@dataclass(frozen=True)
class Weighted:
    """Items with cumulative weights, so a draw is one ``random()`` and a bisect."""

    items: tuple[Any, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[Any, float]]) -> Weighted:
        items, cum, total = [], [], 0.0
        for item, weight in pairs:
            if weight > 0:
                total += weight
                items.append(item)
                cum.append(total)
        if not items:
            raise ValueError("nothing to draw from")
        return cls(tuple(items), tuple(cum))

    def draw(self, rng: Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def _weighted(weights: dict[str, int]) -> Weighted:
    return Weighted.of(weights.items())


LEVEL_TABLE = _weighted(LEVEL_WEIGHTS)
NEW_FORM_LEVEL_TABLE = _weighted(NEW_FORM_LEVEL_WEIGHTS)
KIND_TABLES = {(level, new): Weighted.of((k, w) for k, w in kinds.items()
                                         if new or k != NEW_OCCUPATION)
               for level, kinds in KIND_WEIGHTS.items() for new in (False, True)}
MODE_TABLE_DIGITAL = _weighted(MODE_WEIGHTS_DIGITAL)
MODE_TABLE_OTHER = _weighted(MODE_WEIGHTS_OTHER)
SCHEDULE_TABLES = {mode: _weighted(w) for mode, w in SCHEDULE_WEIGHTS.items()}


@dataclass(frozen=True)
class City:
    """A city (a municipality stands as its own city) and its counties, by code order."""

    province: str
    name: str
    counties: tuple[str, ...]
    area_code: str | None

    @property
    def contact(self) -> str:
        """A placeholder number that says it is one (12333 is the national HR hotline)."""
        return f"{self.area_code}-12345678（示例）" if self.area_code else "12333（示例）"


@dataclass(frozen=True)
class Pick:
    """The occupation a row trains for, how its title names it and its industry."""

    occupation: Occupation
    display: str
    industry: str
    new_form: bool


@dataclass(frozen=True)
class Tables:
    """Everything the generator draws from, built once per process (seed-independent)."""

    vocab: dict[str, Any]
    provinces: Weighted
    cities: dict[str, Weighted]  # province → City (临沂 kept apart)
    linyi: City
    linyi_share: float
    industries: dict[str, Weighted]  # province → industry name (others under "")
    pools: dict[str, Weighted]  # industry → Occupation
    industries_of: dict[str, tuple[str, ...]]  # occupation code → industries, file order
    tagged: dict[str, frozenset[str]]  # industry → provinces it is boosted in
    shortage: Weighted
    new: Weighted
    new_forms: tuple[tuple[str, Occupation], ...]
    subsidy: dict[str, SubsidyTrade]
    provider_types: Weighted
    institutions: tuple[tuple[str, str, tuple[str, ...] | None], ...]  # name, district, words
    linyi_fits: dict[str, tuple[tuple[str, str], ...]]  # occupation code → (name, district)
    patterns: dict[tuple[str, bool], tuple[str, ...]]  # (type, has county) → name patterns
    brand_words: tuple[str, ...]
    target_groups: Weighted
    thresholds: dict[str, dict[str, int]]


def generate(n: int = 3000, seed: int = 20261122) -> list[dict[str, str]]:
    """``n`` sample catalog rows; the same ``n`` and ``seed`` always give the same rows."""
    if n < 0:
        raise ValueError("n must be ≥ 0")
    tables = _tables()
    rng = Random(seed)
    texts: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    return [_row(rng, tables, texts, i) for i in range(1, n + 1)]


def write_csv(rows: Iterable[dict[str, str]], path: str | Path) -> None:
    """UTF-8 (no BOM), header in ``COLUMNS`` order, ``\\n`` line ends: byte-stable output."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        _write(rows, fh)


def _write(rows: Iterable[dict[str, str]], fh: Any) -> None:
    writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m matcher.sample --n 3000 --out FILE`` (``--out -`` writes to stdout)."""
    parser = argparse.ArgumentParser(description="Write a deterministic SAMPLE training catalog.")
    parser.add_argument("--n", type=int, default=3000, help="number of rows")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--out", default="-", help="CSV path, or - for stdout")
    args = parser.parse_args(argv)
    rows = generate(args.n, args.seed)
    if args.out == "-":
        _write(rows, sys.stdout)
    else:
        write_csv(rows, args.out)
        print(f"wrote {len(rows)} sample rows to {args.out}", file=sys.stderr)
    return 0


@lru_cache(maxsize=65536)
def provider_type(name: str) -> str | None:
    """The provider type a name announces (技师学院 → 技工院校 …), first rule that matches."""
    for word, kind in _tables().vocab["provider_type_rules"]:
        if word in name:
            return str(kind)
    return None


def brand_thresholds() -> dict[str, dict[str, int]]:
    """Per canonical tier, the column minimums a brand-labelled row meets (see docstring)."""
    return {tier: dict(floor) for tier, floor in _tables().thresholds.items()}


# -- one row -------------------------------------------------------------------------------


def _row(rng: Random, t: Tables, texts: dict[tuple[str, str, str, str], tuple[str, str]],
         index: int) -> dict[str, str]:
    """One program: place, occupation and level first; the rest follows from them."""
    province = t.provinces.draw(rng)
    in_linyi = province == t.linyi.province and rng.random() < t.linyi_share
    city = t.linyi if in_linyi else t.cities[province].draw(rng)
    pick = _pick_occupation(rng, t, province)
    occ = pick.occupation
    level = _pick_level(rng, pick)
    kind = _pick_kind(rng, level, occ)
    mode = (MODE_TABLE_DIGITAL if occ.digital else MODE_TABLE_OTHER).draw(rng)
    schedule = SCHEDULE_TABLES[mode].draw(rng)
    if in_linyi:
        provider, county = _linyi_provider(rng, t, occ)
    else:
        county = _choice(rng, city.counties) if city.counties else ""
        provider = _generated_provider(rng, t, city, county, mode)
    key = (pick.display, occ.code, level, kind)
    if key not in texts:
        texts[key] = (_title(pick.display, level, kind),
                      _description(occ, pick.display, level, kind))
    title, description = texts[key]
    hours, fee, subsidized = _course(rng, t, pick, level, kind, mode)
    days = math.ceil(hours / HOURS_PER_DAY[schedule])
    start, end = _dates(rng, days, schedule)
    capacity = 20 + 5 * _below(rng, 9)
    kind_of_provider = provider_type(provider) or ""
    min_age, max_age = _ages(rng, occ, pick.display)
    groups = _target_groups(rng, t, kind, pick, province)
    brand, trained, pass_rate, employed, key_group, order = _performance(rng, t, province)
    return {
        "program_id": f"SAMPLE-{index:06d}", "title": title, "occupation": occ.name,
        "occupation_code": occ.code, "level": LEVEL_NAMES[level],
        "certificate": _certificate(rng, level, kind_of_provider),
        "provider": provider, "provider_type": kind_of_provider, "province": province,
        "city": city.name, "county": county, "mode": mode, "hours": str(hours),
        "days": str(days), "fee_yuan": str(fee), "subsidized": "是" if subsidized else "否",
        "target_groups": "、".join(groups), "industry": pick.industry,
        "brand_level": brand, "trained_last_year": trained, "pass_rate": pass_rate,
        "employment_rate": employed, "key_group_trained": key_group,
        "order_based_ratio": order, "start_date": ISO_DAYS[start], "end_date": ISO_DAYS[end],
        "schedule": schedule,
        "capacity": str(capacity), "min_age": str(min_age), "max_age": str(max_age),
        "prerequisite": _prerequisite(rng, level), "description": description,
        "contact": city.contact,
        "enrolled": str(_enrolled(rng, capacity, start)), "sample": SAMPLE_MARK,
    }


def _below(rng: Random, k: int) -> int:
    """0 … k-1 from one ``random()``: ``randrange`` costs several times more per row."""
    return int(rng.random() * k)


def _between(rng: Random, lo: int, hi: int) -> int:
    """lo … hi inclusive."""
    return lo + int(rng.random() * (hi - lo + 1))


def _choice(rng: Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _pick_occupation(rng: Random, t: Tables, province: str) -> Pick:
    """Shortage, new and new-form occupations first by fixed shares, else industry first."""
    r = rng.random()
    if r < SHARE_SHORTAGE:
        occ = t.shortage.draw(rng)
    elif r < SHARE_SHORTAGE + SHARE_NEW:
        occ = t.new.draw(rng)
    elif r < SHARE_SHORTAGE + SHARE_NEW + SHARE_NEW_FORMS:
        display, occ = _choice(rng, t.new_forms)
        return Pick(occ, display, "新就业形态", True)
    else:
        industry = t.industries.get(province, t.industries[""]).draw(rng)
        occ = t.pools[industry].draw(rng)
        return Pick(occ, occ.name, industry, False)
    return Pick(occ, occ.name, _industry_of(t, occ, province), False)


def _industry_of(t: Tables, occ: Occupation, province: str) -> str:
    """The industry the row is filed under: one boosted for the province, else the first."""
    names = t.industries_of.get(occ.code, ())
    for name in names:
        if province in t.tagged[name]:
            return name
    return names[0] if names else str(t.vocab["fallback_industry"][occ.code[0]])


def _pick_level(rng: Random, pick: Pick) -> str:
    return (NEW_FORM_LEVEL_TABLE if pick.new_form else LEVEL_TABLE).draw(rng)


def _pick_kind(rng: Random, level: str, occ: Occupation) -> str:
    """Training type by level: 就业技能 for entry, 提升 above; 新职业 only for new ones;
    创业 only for service and farm work (nobody starts a business as a 井下采矿工)."""
    kind = KIND_TABLES[level, occ.new_batch is not None].draw(rng)
    return EMPLOYMENT if kind == STARTUP and occ.code[0] not in "45" else kind


def _title(display: str, level: str, kind: str) -> str:
    """焊工（四级/中级工）岗位技能提升培训班; 专项 and 不分级 programs carry no level."""
    if level == "专项职业能力":
        return f"{display}专项职业能力培训班"
    if level == "不分级":
        return f"{display}{kind}班"
    return f"{display}（{LEVEL_NAMES[level]}）{kind}班"


def _description(occ: Occupation, display: str, level: str, kind: str) -> str:
    """One sentence from the official definition, one from the first official tasks."""
    if level in LEVELS:
        basis = f"按{occ.name}国家职业标准{LEVEL_NAMES[level]}要求开展{kind}"
    elif level == "专项职业能力":
        basis = f"按{display}专项职业能力考核规范开展{kind}"
    elif kind == STARTUP:
        basis = f"面向有意从事{display}相关创业的人员开展{kind}"
    else:
        basis = f"开展{display}{kind}"
    what = occ.definition.strip().rstrip("。") or f"从事{occ.name}工作的人员"
    tasks = [p.strip().rstrip("。；;") for p in _TASK_SPLIT.split(occ.tasks) if p.strip()][:3]
    text = f"{DESCRIPTION_PREFIX}本班{basis}，培养{what}。"
    return text + (f"主要内容：{'；'.join(tasks)}。" if tasks else "")


def _course(rng: Random, t: Tables, pick: Pick, level: str, kind: str,
            mode: str) -> tuple[int, int, bool]:
    """Hours, fee and subsidy from the 青海 table where it names the trade, else its class.
    A new form of work is not its official occupation's table course (网约车司机 does not
    take the 480-hour B-licence 客货车驾驶员 course)."""
    occ = pick.occupation
    trade = None if pick.new_form else t.subsidy.get(occ.code)
    if trade is not None:
        base, fee_class, amount = trade.hours, trade.fee_class.rstrip("+"), trade.subsidy_yuan
    else:
        fee_class = "A" if occ.code[0] == "6" or occ.digital or occ.new_batch else "B"
        choices = t.vocab["class_hours"][fee_class]
        base, amount = int(choices[zlib.crc32(occ.code.encode()) % len(choices)]), None
    hours = base
    if kind == SPECIAL:
        hours = max(40, round(base / 20) * 10)
    elif kind == STARTUP:
        hours = min(base, 120)
    if amount is None:
        amount = round(base * float(t.vocab["yuan_per_hour"][fee_class]) / 50) * 50
    fee = amount * hours / base * LEVEL_FACTOR.get(level, 1.0)
    if mode == "线上":
        fee *= 0.6
    subsidized = rng.random() < 0.85
    if not subsidized:
        fee *= 1.3
    return hours, int(round(fee / 10) * 10), subsidized


def _dates(rng: Random, days: int, schedule: str) -> tuple[int, int]:
    """Start and end as days after ``FIRST_START``: a start in the school year and an end
    that follows from the schedule; about one program in five started before the
    reference date."""
    span = min(WINDOW, max(1, math.ceil(days * CALENDAR_PER_DAY[schedule])))
    latest = WINDOW - span + 1
    if rng.random() < 0.2 or latest <= TODAY:
        lo, hi = 0, min(latest, TODAY - 1)
    else:
        lo, hi = TODAY, latest
    start = _between(rng, lo, max(lo, hi))
    return start, start + span - 1


def _certificate(rng: Random, level: str, kind_of_provider: str) -> str:
    if level == "专项职业能力":
        return "专项职业能力证书"
    if level == "不分级":
        return "培训合格证书"
    if kind_of_provider == "职业院校" and level in ("五级", "四级", "三级") and rng.random() < 0.3:
        return "1+X职业技能等级证书"
    return "职业技能等级证书"


def _prerequisite(rng: Random, level: str) -> str:
    """三级 and above need the certificate one level down; half the 四级 programs ask it."""
    rank = LEVELS.index(level) if level in LEVELS else -1
    if rank >= 2 or (rank == 1 and rng.random() < 0.5):
        return f"已取得{LEVEL_NAMES[LEVELS[rank - 1]]}证书"
    return ""


def _target_groups(rng: Random, t: Tables, kind: str, pick: Pick, province: str) -> list[str]:
    special = None
    if kind == UPSKILLING:
        special = t.vocab["target_groups_upskilling"]
    elif pick.new_form:
        special = t.vocab["target_groups_new_forms"]
    elif province == JIANGXI:
        special = t.vocab["target_groups_jiangxi"]
    if special and rng.random() < special["share"]:
        return list(special["groups"])
    return list(t.target_groups.draw(rng))


def _ages(rng: Random, occ: Occupation, display: str) -> tuple[int, int]:
    if any(word in occ.name or word in display for word in DRIVING):
        return 18, 60
    r = rng.random()
    if r < 0.08:
        return 18, 45
    if r < 0.12:
        return 18, 55
    return 16, 60


def _enrolled(rng: Random, capacity: int, start: int) -> int:
    """Started classes are mostly full; about one future class in eight already is."""
    if start < TODAY:
        return _between(rng, math.ceil(capacity * 0.6), capacity)
    return capacity if rng.random() < 0.12 else _below(rng, capacity)


def _performance(rng: Random, t: Tables, province: str) -> tuple[str, ...]:
    """Brand label and last year's record (columns ``RECORD``); brand-labelled rows meet
    their tier's thresholds."""
    odds = BRAND_ODDS_NEIMENGGU if province == NEIMENGGU else BRAND_ODDS_OTHER
    r, tier = rng.random(), "无"
    for name, p in odds.items():
        if r < p:
            tier = name
            break
        r -= p
    trained, pass_rate, employed, key_group, order = (
        _ordinary_record(rng) if tier == "无" else _brand_record(rng, t.thresholds[tier]))
    return (BRAND_LABELS[tier], str(trained), f"{pass_rate}%", f"{employed}%", str(key_group),
            f"{order}%")


def _ordinary_record(rng: Random) -> tuple[int, int, int, int, int]:
    """Cohorts from 3 to 600 (log-uniform: most are small), rates mostly 60–98%."""
    trained = int(round(math.exp(rng.uniform(LOG_3, LOG_600))))
    pass_rate = _between(rng, 40, 59) if rng.random() < 0.05 else int(rng.triangular(60, 98, 90))
    employed = _between(rng, 30, 59) if rng.random() < 0.08 else int(rng.triangular(60, 97, 80))
    return (trained, pass_rate, employed, int(trained * rng.uniform(0.1, 0.8)),
            _between(rng, 0, 60))


def _brand_record(rng: Random, floor: dict[str, int]) -> tuple[int, int, int, int, int]:
    trained = _between(rng, floor["trained_last_year"], max(600, floor["trained_last_year"]))
    return (trained, _between(rng, floor["pass_rate"], 99),
            _between(rng, floor["employment_rate"], 97),
            _between(rng, min(floor["key_group_trained"], trained), trained),
            _between(rng, floor["order_based_ratio"], 90))


def _linyi_provider(rng: Random, t: Tables, occ: Occupation) -> tuple[str, str]:
    """A real 临沂 institution that teaches the occupation (specialists only their field)."""
    fits = t.linyi_fits.get(occ.code)
    if fits is None:
        fits = t.linyi_fits[occ.code] = tuple(
            (name, district) for name, district, words in t.institutions
            if words is None or any(w in occ.name for w in words))
    return _choice(rng, fits)


def _generated_provider(rng: Random, t: Tables, city: City, county: str, mode: str) -> str:
    """A plausible name from the real place and a type's pattern (online only if taught so)."""
    kind = t.provider_types.draw(rng)
    if kind == "线上培训平台" and mode == "线下":
        kind = "民办职业培训学校"
    pattern = _choice(rng, t.patterns[kind, bool(county)])
    return pattern.format(city=city.name, city_short=_short(city.name), county=county,
                          brand=_choice(rng, t.brand_words))


def _short(name: str) -> str:
    """赣州市 → 赣州 (as in 九江技师学院); 盟, 州 and 地区 keep their full names."""
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


# -- tables --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tables() -> Tables:
    vocab = yaml.safe_load(VOCAB_FILE.read_text(encoding="utf-8"))
    occupations = _occupations_by_name(vocab)
    table = regions()
    cities, linyi = _cities(table, vocab)
    pools, industries_of, tagged = _industry_pools(vocab, occupations)
    tables = Tables(
        vocab=vocab,
        provinces=_province_weights(table, vocab),
        cities=cities, linyi=linyi, linyi_share=float(vocab["linyi_share"]),
        industries=_industry_weights(vocab, cities),
        pools=pools, industries_of=industries_of, tagged=tagged,
        shortage=_shortage_pool(), new=_new_pool(),
        new_forms=tuple((f["title"], occupations[f["occupation"]]) for f in vocab["new_forms"]),
        subsidy=_subsidy(vocab, occupations),
        provider_types=Weighted.of(vocab["provider_type_weights"].items()),
        institutions=_institutions(vocab), linyi_fits={},
        patterns={(kind, has_county): tuple(p for p in ps if has_county or "{county}" not in p)
                  for kind, ps in vocab["provider_patterns"].items()
                  for has_county in (False, True)},
        brand_words=tuple(vocab["brand_words"]),
        target_groups=Weighted.of((tuple(g["groups"]), g["weight"])
                                  for g in vocab["target_groups"]),
        thresholds=_thresholds(vocab),
    )
    _check_provider_patterns(vocab)
    return tables


def _occupations_by_name(vocab: dict[str, Any]) -> dict[str, Occupation]:
    """Every occupation the vocabulary names, refusing names the classification lacks."""
    by_name = classification().by_name
    names = [n for d in vocab["industries"].values() for n in d["occupations"]]
    names += [f["occupation"] for f in vocab["new_forms"]]
    names += [n for ns in vocab["subsidy_trades"].values() for n in ns]
    missing = sorted({n for n in names if n not in by_name})
    if missing:
        raise ValueError(f"sample_vocab.yaml names unknown occupations: {missing}")
    return {n: by_name[n] for n in names}


def _eligible(occ: Occupation) -> bool:
    """No 负责人 (1) and no 军人 (7, 8): not what a training catalog offers."""
    return occ.code[0] not in "178"


def _major_weight(occ: Occupation) -> float:
    return 2.0 if occ.code[0] in "46" else 1.0


def _industry_pools(vocab: dict[str, Any], occupations: dict[str, Occupation]) -> tuple[
        dict[str, Weighted], dict[str, tuple[str, ...]], dict[str, frozenset[str]]]:
    shortage = {r.occupation_code for r in national_shortage()}
    pools: dict[str, Weighted] = {}
    of: dict[str, list[str]] = {}
    tagged: dict[str, frozenset[str]] = {}
    for industry, spec in vocab["industries"].items():
        members = [occupations[n] for n in spec["occupations"]]
        pools[industry] = Weighted.of(
            (o, _major_weight(o) * (3 if o.code in shortage else 1) * (2 if o.new_batch else 1))
            for o in members if _eligible(o))
        tagged[industry] = frozenset(spec.get("provinces") or ())
        for o in members:
            of.setdefault(o.code, []).append(industry)
    return pools, {code: tuple(names) for code, names in of.items()}, tagged


def _industry_weights(vocab: dict[str, Any], cities: dict[str, Weighted]) -> dict[str, Weighted]:
    """Per province: industries tagged for it count ``PROVINCE_BOOST`` times; "" = untagged."""
    specs = vocab["industries"]
    out = {"": Weighted.of((name, 1.0) for name in specs)}
    for province in cities:
        if any(province in (s.get("provinces") or ()) for s in specs.values()):
            out[province] = Weighted.of(
                (name, PROVINCE_BOOST if province in (s.get("provinces") or ()) else 1.0)
                for name, s in specs.items())
    return out


def _shortage_pool() -> Weighted:
    """National top-10 occupations, weighted by how often and how high they were listed."""
    by_code = classification().by_code
    weight: dict[str, float] = {}
    for r in national_shortage():
        if r.occupation_code and r.occupation_code in by_code:
            weight[r.occupation_code] = weight.get(r.occupation_code, 0.0) + (11 - (r.rank or 10))
    return Weighted.of((by_code[c], weight[c]) for c in sorted(weight)
                       if _eligible(by_code[c]))


def _new_pool() -> Weighted:
    """Announced new occupations of the service, farm and production categories."""
    return Weighted.of((o, _major_weight(o)) for o in classification().occupations
                       if o.new_batch and o.code[0] in "456")


def _subsidy(vocab: dict[str, Any], occupations: dict[str, Occupation]) -> dict[str,
                                                                                 SubsidyTrade]:
    trades = {t.trade: t for t in subsidy_table()}
    out: dict[str, SubsidyTrade] = {}
    for trade, names in vocab["subsidy_trades"].items():
        if trade not in trades:
            raise ValueError(f"sample_vocab.yaml names an unknown subsidy trade: {trade}")
        for name in names:
            out.setdefault(occupations[name].code, trades[trade])
    return out


def _province_weights(table: RegionTable, vocab: dict[str, Any]) -> Weighted:
    weights = dict(vocab["province_weights"])
    others_total = float(weights.pop("others"))
    excluded = set(vocab["exclude_provinces"]) | set(weights)
    others = [r.name for r in sorted(table.by_code.values(), key=lambda r: r.code)
              if r.level == "province" and r.name not in excluded]
    pairs = [(name, float(w)) for name, w in weights.items()]
    pairs += [(name, others_total / len(others)) for name in others]
    return Weighted.of(pairs)


def _cities(table: RegionTable, vocab: dict[str, Any]) -> tuple[dict[str, Weighted], City]:
    """Prefectures with their counties; a municipality is one city of its districts.
    Counties directly under a province (仙桃市, 济源市 …) are left out: they have no city."""
    codes = sorted(table.by_code)
    children: dict[str, list[str]] = {}
    for code in codes:
        parent = table.by_code[code].parent
        if parent is not None:
            children.setdefault(parent, []).append(code)
    area = vocab["area_codes"]
    out: dict[str, Weighted] = {}
    linyi: City | None = None
    for pcode in children.get("000000000000", []):
        province = table.by_code[pcode].name
        kids = [table.by_code[c] for c in children.get(pcode, [])]
        prefectures = [k for k in kids if k.level == "prefecture"]
        if prefectures:
            cities = [City(province, p.name, tuple(table.by_code[c].name
                                                   for c in children.get(p.code, [])),
                           area.get(p.name)) for p in prefectures]
        else:
            cities = [City(province, province, tuple(k.name for k in kids), area.get(province))]
        for city in cities:
            if city.name == LINYI:
                linyi = city
        out[province] = Weighted.of((c, 1.0) for c in cities if c.name != LINYI)
    if linyi is None:
        raise ValueError("临沂市 missing from the region table")
    return out, linyi


def _institutions(vocab: dict[str, Any]) -> tuple[tuple[str, str, tuple[str, ...] | None], ...]:
    specialities: dict[str, list[str]] = vocab["institution_specialities"]
    out = []
    for inst in institutions():
        if inst.city != LINYI:
            continue
        words = [w for key, ws in specialities.items() if key in inst.name for w in ws]
        out.append((inst.name, inst.district, tuple(words) if words else None))
    return tuple(out)


def _thresholds(vocab: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Tier minimums from neimenggu_brand.yaml; 县级 from the sample floor when it has none."""
    text = (resources.files("assistant.rules") / "neimenggu_brand.yaml").read_text("utf-8")
    rules = {r["id"]: r for r in yaml.safe_load(text)["rules"]}
    out: dict[str, dict[str, int]] = {}
    for tier, rule_id in BRAND_RULES.items():
        found = {BRAND_FACTS[c["fact"]]: int(c["value"])
                 for c in _conditions(rules[rule_id]["conditions"])
                 if c.get("op") == "gte" and c.get("fact") in BRAND_FACTS}
        out[tier] = found
    if len(out["县级"]) < len(BRAND_FACTS):
        out["县级"] = {**{k: int(v) for k, v in vocab["county_brand_floor"].items()},
                      **out["县级"]}
    for tier in ("省级", "市级"):
        if set(out[tier]) != set(BRAND_FACTS.values()):
            raise ValueError(f"neimenggu_brand.yaml: {BRAND_RULES[tier]} lacks a threshold")
    out["国家级"] = dict(out["省级"])
    return out


def _conditions(node: Any) -> list[dict[str, Any]]:
    """Leaf conditions of an all/any tree (aliases such as *basic_conditions included)."""
    if isinstance(node, list):
        return [c for item in node for c in _conditions(item)]
    if isinstance(node, dict):
        if "all" in node or "any" in node:
            return _conditions(node.get("all", [])) + _conditions(node.get("any", []))
        return [node]
    return []


def _check_provider_patterns(vocab: dict[str, Any]) -> None:
    """Every pattern's name must read back as its own type, or the column would disagree."""
    for kind, patterns in vocab["provider_patterns"].items():
        if kind not in PROVIDER_TYPES:
            raise ValueError(f"sample_vocab.yaml: unknown provider type {kind}")
        for pattern in patterns:
            name = pattern.format(city="赣州市", city_short="赣州", county="于都县", brand="鑫源")
            got = next((k for w, k in vocab["provider_type_rules"] if w in name), None)
            if got != kind:
                raise ValueError(f"sample_vocab.yaml: {pattern} reads as {got}, not {kind}")


if __name__ == "__main__":
    raise SystemExit(main())
