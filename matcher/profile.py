"""The worker profile as the matcher reads it (``shared/schemas/worker_profile.md``).

Validation turns bad values into clear Chinese errors (an unknown region, an impossible
age, an unknown certificate level); a missing value is not an error but an assumption the
ranking states ("未说明能去多远，按本市及线上项目计"). Gender and ethnicity are dropped
here, before anything can read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus.errors import InvalidInput
from corpus.regions import Region, regions
from matcher import vocab

# The controlled vocabulary of ``groups`` (shared/schemas/worker_profile.md).
GROUPS = frozenset((
    "农民工", "退役军人", "高校毕业生", "在校学生", "城镇登记失业人员", "就业困难人员",
    "脱贫劳动力", "零就业家庭成员", "两后生", "低保家庭", "残疾人", "妇女", "企业职工",
    "灵活就业人员", "退捕渔民", "青年",
))
# Maps what a counselor typed ("当过兵", "退伍军人") onto the vocabulary; the service
# injects the assistant's synonym table (api/matching.py).
GroupNormalizer = Callable[[str], list[str]]
NEVER_READ = frozenset(("gender", "sex", "性别", "ethnicity", "nation", "民族", "hukou_type",
                        "户籍类型"))
MIN_AGE, MAX_AGE = 14, 100
_KNOWN = frozenset((
    "province", "city", "county", "groups", "age", "education", "employment_status",
    "current_occupation", "certificates", "skills_text", "interests_text",
    "preferred_industries", "mode", "max_hours", "schedule", "budget_yuan", "travel",
    "hukou_province", "not_groups", "subject", "id", "name",
))


@dataclass(frozen=True)
class Certificate:
    occupation: str
    occupation_code: str | None
    level: str  # canonical (vocab.LEVELS or 专项职业能力)


@dataclass
class Profile:
    region: Region | None = None  # most specific place given
    province: str | None = None
    city: str | None = None
    county: str | None = None
    groups: tuple[str, ...] = ()
    age: int | None = None
    employment_status: str | None = None
    current_occupation: str | None = None
    certificates: tuple[Certificate, ...] = ()
    skills_text: str = ""
    interests_text: str = ""
    preferred_industries: tuple[str, ...] = ()
    mode: str | None = None
    max_hours: int | None = None
    schedule: str | None = None
    budget_yuan: float | None = None
    travel: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the profile minus ignored fields

    @property
    def text(self) -> str:
        """What the worker can do and wants to learn, for the fit embedding."""
        parts = [self.interests_text, self.skills_text, self.current_occupation or "",
                 "、".join(self.preferred_industries)]
        return "；".join(p for p in parts if p)


def parse_profile(data: Any, normalize_group: GroupNormalizer | None = None) -> Profile:
    if not isinstance(data, dict):
        raise InvalidInput("画像应为 JSON 对象（“字段: 取值”）。", code="bad_profile")
    # An empty list is an answer ("certificates": [] = holds none); an empty string is not.
    kept = {k: v for k, v in data.items() if k not in NEVER_READ and v is not None and v != ""}
    p = Profile(raw=kept)
    _place(p, kept)
    p.groups = _groups(_strings(kept.get("groups"), "groups"), normalize_group)
    p.age = _age(kept.get("age"))
    p.employment_status = _text(kept.get("employment_status"))
    p.current_occupation = _text(kept.get("current_occupation"))
    p.certificates = tuple(_certificate(c) for c in _list(kept.get("certificates"), "certificates"))
    p.skills_text = _text(kept.get("skills_text")) or ""
    p.interests_text = _text(kept.get("interests_text")) or ""
    p.preferred_industries = tuple(_strings(kept.get("preferred_industries"),
                                            "preferred_industries"))
    p.mode = _enum(kept.get("mode"), vocab.mode, "mode", "培训方式", vocab.MODES)
    p.max_hours = _positive_int(kept.get("max_hours"), "max_hours", "可接受的最长课时")
    p.schedule = _text(kept.get("schedule"))
    p.budget_yuan = _number(kept.get("budget_yuan"), "budget_yuan", "预算")
    travel = kept.get("travel")
    if travel is not None and travel not in vocab.TRAVEL:
        raise InvalidInput(f"出行范围“{travel}”无法识别，可选：{'、'.join(vocab.TRAVEL)}。",
                           code="bad_travel", detail={"travel": travel})
    p.travel = travel
    return p


def _place(p: Profile, data: dict[str, Any]) -> None:
    table = regions()
    found: list[Region] = []
    for key in ("province", "city", "county"):
        value = data.get(key)
        if value is None:
            continue
        region = table.resolve(str(value))  # unknown_region, in Chinese
        found.append(region)
        setattr(p, key, region.name)
    for outer, inner in zip(found, found[1:], strict=False):
        if outer.code not in {r.code for r in table.lineage(inner)}:
            raise InvalidInput(f"“{inner.name}”不在“{outer.name}”内，请核对地区。",
                               code="inconsistent_region",
                               detail={"outer": outer.name, "inner": inner.name})
    if found:
        p.region = found[-1]
        lineage = table.lineage(p.region)
        for r in lineage:
            if r.level == "province":
                p.province = r.name
            elif r.level == "prefecture" and p.city is None:
                p.city = r.name


def _groups(words: list[str], normalize: GroupNormalizer | None) -> tuple[str, ...]:
    out: list[str] = []
    for word in words:
        found = [word] if word in GROUPS else (normalize(word) if normalize else [])
        if not found:
            raise InvalidInput(f"人群“{word}”无法识别，可选：{'、'.join(sorted(GROUPS))}。",
                               code="bad_group", detail={"group": word})
        out += [g for g in found if g not in out]
    return tuple(out)


def _age(value: Any) -> int | None:
    if value is None:
        return None
    try:
        age = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"年龄“{value}”不是整数。", code="bad_age",
                           detail={"age": value}) from None
    if isinstance(value, bool) or not MIN_AGE <= age <= MAX_AGE:
        raise InvalidInput(f"年龄 {value} 不合理：请填写 {MIN_AGE} 到 {MAX_AGE} 之间的周岁。",
                           code="bad_age", detail={"age": value})
    return age


def _certificate(value: Any) -> Certificate:
    from matcher.reference import classification

    if isinstance(value, str):
        value = {"occupation": value, "level": ""}
    if not isinstance(value, dict):
        raise InvalidInput("证书应写成 {\"occupation\": \"电工\", \"level\": \"四级\"}。",
                           code="bad_certificate", detail={"certificate": value})
    occupation = str(value.get("occupation") or "").strip()
    level_text = str(value.get("level") or "").strip()
    level = vocab.level(level_text)
    if not occupation or level is None:
        raise InvalidInput(
            f"证书“{occupation}{level_text}”的等级无法识别：请写五级/初级工、四级/中级工、"
            "三级/高级工、二级/技师、一级/高级技师或专项职业能力。",
            code="bad_level", detail={"certificate": value})
    occ = classification().find(occupation)
    return Certificate(occupation, occ.code if occ else None, level)


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"字段 {name} 应为列表。", code="bad_profile", detail={"field": name})
    return value


def _strings(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("；", ";").replace("、", ";").split(";")]
    return [str(v).strip() for v in _list(value, name) if str(v).strip()]


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _enum(value: Any, parse: Any, name: str, label: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    parsed = parse(str(value))
    if parsed is None:
        raise InvalidInput(f"{label}“{value}”无法识别，可选：{'、'.join(allowed)}。",
                           code=f"bad_{name}", detail={name: value})
    return parsed


def _number(value: Any, name: str, label: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}“{value}”不是数字。", code=f"bad_{name}",
                           detail={name: value}) from None
    if number < 0:
        raise InvalidInput(f"{label}不能为负数。", code=f"bad_{name}", detail={name: value})
    return number


def _positive_int(value: Any, name: str, label: str) -> int | None:
    number = _number(value, name, label)
    return int(number) if number is not None else None


def unknown_fields(data: dict[str, Any]) -> list[str]:
    return sorted(k for k in data if k not in _KNOWN and k not in NEVER_READ)
