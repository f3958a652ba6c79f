"""Which occupations are hands-on trades, from ``data/hands_on.yaml``.

An online 焊工 or 美发 class teaches the theory; the practice needs a workshop or a salon.
The ranking says so (「线上课程只含理论，实操需另行安排」) rather than calling such a class
「不受地点限制」. The set is data, checked against the 2022 classification at load: a group
or occupation code that is not in ``csco22.csv``, or whose name differs, is refused.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from matcher.reference import REFERENCE, classification

DATA = Path(__file__).parent / "data" / "hands_on.yaml"
_MARKER = re.compile(r"(L/S|S/L|S|L)$")  # 绿色/数字职业 marks after a name in csco22.csv


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, str]
    occupations: dict[str, str]
    exclude: dict[str, str]


@lru_cache(maxsize=1)
def _official_names() -> dict[str, str]:
    """Every code of the classification (大类 to 职业) → its name without marks."""
    with (REFERENCE / "csco22.csv").open(encoding="utf-8") as fh:
        return {r["code"]: _MARKER.sub("", r["name"]) for r in csv.DictReader(fh)}


def _prefix(code: str) -> str:
    """The code prefix every member of a group shares: 6-00-00-00 → "6-", 4-12-00-00 →
    "4-12-", 4-03-02-00 → "4-03-02-"."""
    parts = code.split("-")
    while parts and parts[-1] == "00":
        parts.pop()
    return "-".join(parts) + "-"


@lru_cache(maxsize=1)
def hands_on_codes() -> frozenset[str]:
    spec = _Spec.model_validate(yaml.safe_load(DATA.read_text(encoding="utf-8")))
    official = _official_names()
    for code, name in {**spec.groups, **spec.occupations, **spec.exclude}.items():
        if official.get(code) != name:
            raise ValueError(f"{DATA.name}: {code} {name} is not a code and name of csco22 "
                             f"(the classification has {official.get(code)!r})")
    prefixes = tuple(_prefix(code) for code in spec.groups)
    codes = {o.code for o in classification().occupations if o.code.startswith(prefixes)}
    return frozenset((codes | set(spec.occupations)) - set(spec.exclude))


def is_hands_on(code: str | None) -> bool:
    return bool(code) and code in hands_on_codes()
