"""The catalog's controlled values and how what job centers write maps onto them.

One place for every enum of ``shared/schemas/program_catalog.md`` so the importer, the
ranking and the sample generator agree on spelling: "自治区级" is the 省级 brand tier.
Levels, training modes and travel ranges are shared with the worker profile and come from
``corpus.domain``; they are re-exported here so the catalog code reads one module.
"""

from __future__ import annotations

from corpus.domain.profile import MODES, TRAVEL, TRAVEL_NAMES, mode
from corpus.domain.vocabulary import levels, spelling_key

__all__ = ["LEVELS", "LEVEL_NAMES", "MODES", "TRAVEL", "TRAVEL_NAMES", "brand_level", "level",
           "level_rank", "mode"]

# Levels come from the shared vocabulary (corpus/domain/levels.yaml), lowest first;
# 专项职业能力 and 不分级 sit outside the ladder.
LEVELS = levels().ladder
LEVEL_NAMES = levels().names

CERTIFICATES = ("职业资格证书", "职业技能等级证书", "专项职业能力证书", "培训合格证书",
                "1+X职业技能等级证书")
PROVIDER_TYPES = ("技工院校", "职业院校", "普通高校", "民办职业培训学校", "企业培训中心",
                  "公共实训基地", "线上培训平台")
BRAND_LEVELS = ("国家级", "省级", "市级", "县级", "无")
BRAND_ALIASES = {
    "国家级": "国家级", "省级": "省级", "自治区级": "省级", "省级（自治区级）": "省级",
    "省级(自治区级)": "省级", "直辖市级": "省级", "市级": "市级", "盟市级": "市级",
    "市级（盟市级）": "市级", "市级(盟市级)": "市级", "州级": "市级", "地市级": "市级",
    "县级": "县级", "旗县级": "县级", "县级（旗县级）": "县级", "县级(旗县级)": "县级",
    "旗县(市、区)级": "县级", "区县级": "县级", "无": "无", "": "无", "否": "无",
}
BRAND_RANK = {"国家级": 4, "省级": 3, "市级": 2, "县级": 1, "无": 0}

def level(value: str) -> str | None:
    """Canonical level ("四级") or None when the text names none of them."""
    return levels().code(value)


def level_rank(canonical: str | None) -> int | None:
    """0 for 五级 … 4 for 一级; None off the ladder."""
    return levels().rank(canonical)


def brand_level(value: str) -> str | None:
    v = spelling_key(value)
    return BRAND_ALIASES.get(v) or BRAND_ALIASES.get(v.replace("(", "（").replace(")", "）"))
