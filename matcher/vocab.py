"""The catalog's controlled values and how what job centers write maps onto them.

One place for every enum of ``shared/schemas/program_catalog.md`` so the importer, the
ranking and the sample generator agree on spelling: "四级/中级工", "中级工" and "四级" are
one level; "自治区级" is the 省级 brand tier.
"""

from __future__ import annotations

import re

# Levels from lowest to highest; 专项职业能力 and 不分级 sit outside the ladder.
LEVELS = ("五级", "四级", "三级", "二级", "一级")
LEVEL_ALIASES = {
    "五级": "五级", "初级工": "五级", "初级": "五级", "五级/初级工": "五级",
    "四级": "四级", "中级工": "四级", "中级": "四级", "四级/中级工": "四级",
    "三级": "三级", "高级工": "三级", "高级": "三级", "三级/高级工": "三级",
    "二级": "二级", "技师": "二级", "二级/技师": "二级",
    "一级": "一级", "高级技师": "一级", "一级/高级技师": "一级",
    "专项职业能力": "专项职业能力", "专项能力": "专项职业能力",
    "不分级": "不分级", "无等级": "不分级",
}
LEVEL_NAMES = {"五级": "五级/初级工", "四级": "四级/中级工", "三级": "三级/高级工",
               "二级": "二级/技师", "一级": "一级/高级技师",
               "专项职业能力": "专项职业能力", "不分级": "不分级"}

CERTIFICATES = ("职业资格证书", "职业技能等级证书", "专项职业能力证书", "培训合格证书",
                "1+X职业技能等级证书")
PROVIDER_TYPES = ("技工院校", "职业院校", "普通高校", "民办职业培训学校", "企业培训中心",
                  "公共实训基地", "线上培训平台")
MODES = ("线下", "线上", "线上线下结合")
MODE_ALIASES = {"线下": "线下", "面授": "线下", "线上": "线上", "网上": "线上", "在线": "线上",
                "网络": "线上", "线上线下结合": "线上线下结合", "线上线下": "线上线下结合",
                "混合": "线上线下结合", "线上+线下": "线上线下结合"}
BRAND_LEVELS = ("国家级", "省级", "市级", "县级", "无")
BRAND_ALIASES = {
    "国家级": "国家级", "省级": "省级", "自治区级": "省级", "省级（自治区级）": "省级",
    "省级(自治区级)": "省级", "直辖市级": "省级", "市级": "市级", "盟市级": "市级",
    "市级（盟市级）": "市级", "市级(盟市级)": "市级", "州级": "市级", "地市级": "市级",
    "县级": "县级", "旗县级": "县级", "县级（旗县级）": "县级", "县级(旗县级)": "县级",
    "旗县(市、区)级": "县级", "区县级": "县级", "无": "无", "": "无", "否": "无",
}
BRAND_RANK = {"国家级": 4, "省级": 3, "市级": 2, "县级": 1, "无": 0}
TRAVEL = ("same_county", "same_city", "same_province", "anywhere")
TRAVEL_NAMES = {"same_county": "本县（区）", "same_city": "本市", "same_province": "本省",
                "anywhere": "不限地区"}

_SPACES = re.compile(r"\s+")


def _key(value: str) -> str:
    return _SPACES.sub("", value).replace("／", "/").replace("（", "(").replace("）", ")")


def level(value: str) -> str | None:
    """Canonical level ("四级") or None when the text names none of them."""
    v = _key(value)
    return LEVEL_ALIASES.get(v) or LEVEL_ALIASES.get(v.replace("(", "（").replace(")", "）"))


def level_rank(canonical: str | None) -> int | None:
    """0 for 五级 … 4 for 一级; None off the ladder."""
    return LEVELS.index(canonical) if canonical in LEVELS else None


def mode(value: str) -> str | None:
    return MODE_ALIASES.get(_key(value))


def brand_level(value: str) -> str | None:
    v = _key(value)
    return BRAND_ALIASES.get(v) or BRAND_ALIASES.get(v.replace("(", "（").replace(")", "）"))
