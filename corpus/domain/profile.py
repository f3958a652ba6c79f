"""The worker profile (``shared/schemas/worker_profile.md``): one model for the API, the
eligibility rules and the matcher.

Validation turns bad values into clear Chinese errors (an unknown region, an impossible
age, an unknown group, certificate level or physical limit); a missing value is not an
error but an assumption the ranking states ("未说明能去多远，按本市及线上项目计"). Groups,
levels and physical limits are read through the shared vocabulary, so "农村妇女", "中级工"
and "恐高" mean the same to every package. Gender and ethnicity are never part of the
profile: the matcher cannot rank by them. Only eligibility rules that a policy restricts by
them see them, through ``facts_from_profile``. Physical limits are for matching only: no
eligibility rule reads them, so ``facts()`` leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from corpus.domain.vocabulary import groups, levels, physical_limits
from corpus.errors import InvalidInput
from corpus.regions import Region, regions

# The occupation code of a certificate's occupation name ("电工" → 6-31-01-03); the matcher
# passes its classification lookup, the rules need none.
OccupationLookup = Callable[[str], str | None]

MODES = ("线下", "线上", "线上线下结合")
MODE_ALIASES = {"线下": "线下", "面授": "线下", "线上": "线上", "网上": "线上", "在线": "线上",
                "网络": "线上", "线上线下结合": "线上线下结合", "线上线下": "线上线下结合",
                "混合": "线上线下结合", "线上+线下": "线上线下结合"}
TRAVEL = ("same_county", "same_city", "same_province", "anywhere")
TRAVEL_NAMES = {"same_county": "本县（区）", "same_city": "本市", "same_province": "本省",
                "anywhere": "不限地区"}

NEVER_READ = frozenset(("gender", "sex", "性别", "ethnicity", "nation", "民族", "hukou_type",
                        "户籍类型"))
MIN_AGE, MAX_AGE = 14, 100
FIELDS = frozenset((
    "province", "city", "county", "groups", "age", "education", "employment_status",
    "current_occupation", "certificates", "skills_text", "interests_text",
    "preferred_industries", "mode", "max_hours", "schedule", "budget_yuan", "travel",
    "hukou_province", "not_groups", "subject", "id", "name", "physical_limits", "constraints",
))


# The profile fields an eligibility rule may read, as they are (the registry canonicalises
# education and employment status).
_FACT_FIELDS = ("subject", "education", "employment_status", "current_occupation",
                "hukou_province", "not_groups")


@dataclass(frozen=True)
class Certificate:
    occupation: str
    occupation_code: str | None
    level: str  # canonical code (levels().ladder, 专项职业能力 or 不分级)


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
    # What the body cannot do for a whole shift (codes of physical_limits.yaml): from
    # ``physical_limits``, and the physical entries of the shared schema's ``constraints``.
    physical_limits: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # the profile minus ignored fields

    def facts(self) -> dict[str, Any]:
        """This profile as the eligibility rules' facts (``assistant/rules/facts.yaml``)."""
        facts: dict[str, Any] = {k: self.raw[k] for k in _FACT_FIELDS if k in self.raw}
        facts.setdefault("subject", "worker")
        for key in ("province", "city", "county"):
            if getattr(self, key):
                facts[key] = getattr(self, key)
        if self.age is not None:
            facts["age"] = self.age
        if self.employment_status and "employment_status" not in facts:
            facts["employment_status"] = self.employment_status  # implied by a group
        if self.groups or "groups" in self.raw:
            facts["groups"] = list(self.groups)
        if "certificates" in self.raw:
            named = levels().name
            facts["certificates"] = [f"{c.occupation}（{named(c.level)}）"
                                     for c in self.certificates]
            if self.certificates:
                facts["certificate_levels"] = [named(c.level) for c in self.certificates]
        return facts

    @property
    def text(self) -> str:
        """What the worker can do and wants to learn, for the fit embedding."""
        parts = [self.interests_text, self.skills_text, self.current_occupation or "",
                 "、".join(self.preferred_industries)]
        return "；".join(p for p in parts if p)


def mode(value: str) -> str | None:
    return MODE_ALIASES.get(re.sub(r"\s+", "", value))


def parse_profile(data: Any, occupation_code: OccupationLookup | None = None) -> Profile:
    if not isinstance(data, dict):
        raise InvalidInput("画像应为 JSON 对象（“字段: 取值”）。", code="bad_profile")
    # An empty list is an answer ("certificates": [] = holds none); an empty string is not.
    kept = {k: v for k, v in data.items() if k not in NEVER_READ and v is not None and v != ""}
    p = Profile(raw=kept)
    _place(p, kept)
    p.groups = _groups(_strings(kept.get("groups"), "groups"))
    p.age = _age(kept.get("age"))
    p.employment_status = _text(kept.get("employment_status")) or _implied_status(p.groups)
    p.current_occupation = _text(kept.get("current_occupation"))
    p.certificates = tuple(_certificate(c, occupation_code)
                           for c in _list(kept.get("certificates"), "certificates"))
    p.skills_text = _text(kept.get("skills_text")) or ""
    p.interests_text = _text(kept.get("interests_text")) or ""
    p.preferred_industries = tuple(_strings(kept.get("preferred_industries"),
                                            "preferred_industries"))
    p.mode = _enum(kept.get("mode"), mode, "mode", "培训方式", MODES)
    p.max_hours = _positive_int(kept.get("max_hours"), "max_hours", "可接受的最长课时")
    p.schedule = _text(kept.get("schedule"))
    p.budget_yuan = _number(kept.get("budget_yuan"), "budget_yuan", "预算")
    travel = kept.get("travel")
    if travel is not None and travel not in TRAVEL:
        raise InvalidInput(f"出行范围“{travel}”无法识别，可选：{'、'.join(TRAVEL)}。",
                           code="bad_travel", detail={"travel": travel})
    p.travel = travel
    p.physical_limits = _physical_limits(kept.get("physical_limits"), kept.get("constraints"))
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
            if r.level == "prefecture" and p.city is None:
                p.city = r.name
        for r in lineage:  # a municipality (北京市) is the worker's province and city
            if r.level == "province":
                p.province = r.name
                if r.is_municipality and p.city is None:
                    p.city = r.name


def _groups(words: list[str]) -> tuple[str, ...]:
    vocabulary = groups()
    out: list[str] = []
    for word in words:
        found = vocabulary.canonical(word)
        if not found:
            raise InvalidInput(f"人群“{word}”无法识别，可选：{'、'.join(vocabulary.names)}。",
                               code="bad_group", detail={"group": word})
        out += [g for g in found if g not in out]
    return tuple(out)


def _implied_status(named: tuple[str, ...]) -> str | None:
    """The employment status the groups imply when they agree on one (城镇登记失业人员 is
    unemployed), so a counselor who chose the group is not asked the status again."""
    statuses = groups().statuses
    implied = {statuses[g] for g in named if g in statuses}
    return implied.pop() if len(implied) == 1 else None


def _physical_limits(stated: Any, constraints: Any) -> tuple[str, ...]:
    """Codes of the limits stated. Every ``physical_limits`` entry must name one (「不能久站」,
    「恐高」, ``heights``); ``constraints`` (shared/schemas/worker_profile.md) also holds
    limits that are not physical (只能晚上学), so there an entry that names none is left
    to its other readers."""
    vocabulary = physical_limits()
    out: list[str] = []
    for word in _limit_words(stated, "physical_limits"):
        code = vocabulary.code(word)
        if code is None:
            names = "、".join(vocabulary.label(c) for c in vocabulary.codes)
            raise InvalidInput(f"身体限制“{word}”无法识别，请逐项填写，可选：{names}。",
                               code="bad_physical_limit", detail={"physical_limit": word})
        out += [code] if code not in out else []
    for word in _limit_words(constraints, "constraints"):
        code = vocabulary.code(word)
        out += [code] if code and code not in out else []
    return tuple(out)


def _limit_words(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [w.strip() for w in re.split(r"[,，;；、/]", value) if w.strip()]
    return _strings(value, name)


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


def _certificate(value: Any, occupation_code: OccupationLookup | None) -> Certificate:
    if isinstance(value, str):
        value = {"occupation": value, "level": ""}
    if not isinstance(value, dict):
        raise InvalidInput("证书应写成 {\"occupation\": \"电工\", \"level\": \"四级\"}。",
                           code="bad_certificate", detail={"certificate": value})
    occupation = str(value.get("occupation") or "").strip()
    level_text = str(value.get("level") or "").strip()
    level = levels().code(level_text)
    if not occupation or level is None:
        names = "、".join(levels().names.values())
        raise InvalidInput(f"证书“{occupation}{level_text}”的等级无法识别：请写{names}。",
                           code="bad_level", detail={"certificate": value})
    code = occupation_code(occupation) if occupation_code else None
    return Certificate(occupation, code, level)


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
    return sorted(k for k in data if k not in FIELDS and k not in NEVER_READ)


def facts_from_profile(data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts the eligibility rules read, from a profile in the shared format.

    The profile's fields are validated and canonicalised here, exactly as for matching;
    keys that are not profile fields (a facts file's ``veteran_years``, a policy's
    ``gender``) pass through for the rules' fact registry to check.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("画像应为 JSON 对象（“字段: 取值”）。", code="bad_profile")
    facts: dict[str, Any] = {k: v for k, v in data.items()
                             if k not in FIELDS and v is not None and v != ""}
    return {**parse_profile(dict(data)).facts(), **facts}
