"""``WorkerProfile``: the one schema of a worker profile, for every endpoint that takes one.

Why a documented schema over a validating one: ``corpus.domain.profile.parse_profile`` is
the profile's one judge. It accepts aliases ("农村妇女", "中级工", "恐高", "面授"), strings
for lists ("退役军人;农民工") and extra facts a rule may read (``veteran_years``), and
refuses the rest with its own Chinese codes (``bad_group``, ``unknown_region``…). So this
model checks only what the boundary checks for any free-form object (storable text, finite
numbers, bounded size: ``api.fields.FreeForm``) and hands the client's dict on unchanged;
its JSON schema tells an integrator the canonical values, read from ``corpus/domain``
(groups.yaml, levels.yaml, physical_limits.yaml, profile.py) — never copied here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from api.fields import free_form
from corpus.domain.profile import MAX_AGE, MIN_AGE, MODES, TRAVEL, TRAVEL_NAMES
from corpus.domain.vocabulary import EMPLOYMENT_STATUSES, groups, levels, physical_limits


def group_names() -> list[str]:
    return list(groups().names)


def level_codes() -> list[str]:
    return list(levels().names)


def limit_codes() -> list[str]:
    return list(physical_limits().codes)


def _doc(schema: dict[str, Any]) -> Any:
    return WithJsonSchema(schema)


def _text(description: str, max_length: int = 200) -> Any:
    return Annotated[Any, _doc({"type": "string", "maxLength": max_length}),
                     Field(None, description=description)]


_PLACE = "（行政区全称或简称，如“江西省”“赣州市”“章贡区”）"
_LEVELS = "、".join(f"{code}（{name}）" for code, name in levels().names.items())
_LIMITS = "、".join(f"{c}（{physical_limits().label(c)}）" for c in physical_limits().codes)


class WorkerProfile(BaseModel):
    """劳动者画像。所有字段都可省略；未说明的信息会在结果的 ``assumptions`` 中说明按什么处理。
    枚举值为规范写法，常见别名（如“农村妇女”“中级工”“恐高”“面授”）也会被识别；
    无法识别的取值返回 400（bad_group、bad_level、unknown_region 等）。
    其他字段（如规则用到的事实 ``veteran_years``）原样传给资格检查。"""

    model_config = ConfigDict(
        extra="allow", title="WorkerProfile",
        json_schema_extra={"examples": [
            {"province": "江西省", "city": "赣州市", "age": 40, "groups": ["退役军人"],
             "certificates": [{"occupation": "电工", "level": "五级"}],
             "interests_text": "想学电工", "mode": "线下", "travel": "same_city"}]})

    province: _text("所在省" + _PLACE, 60)
    city: _text("所在市" + _PLACE, 60)
    county: _text("所在县（区）" + _PLACE, 60)
    hukou_province: _text("户籍所在省", 60)
    groups: Annotated[Any, _doc({"type": "array", "maxItems": 20, "items": {
        "type": "string", "enum": group_names()}}), Field(
            None, description="所属人群（可多选）；[] 表示都不是")]
    not_groups: Annotated[Any, _doc({"type": "array", "maxItems": 20, "items": {
        "type": "string", "enum": group_names()}}), Field(
            None, description="已确认不属于的人群")]
    age: Annotated[Any, _doc({"type": "integer", "minimum": MIN_AGE, "maximum": MAX_AGE}),
                   Field(None, description=f"周岁（{MIN_AGE}–{MAX_AGE}）")]
    education: _text("文化程度，如“初中”“高中”“大专”", 40)
    employment_status: Annotated[Any, _doc({"type": "string", "enum": list(EMPLOYMENT_STATUSES)}),
                                 Field(None, description="就业状态")]
    current_occupation: _text("现在的职业", 120)
    certificates: Annotated[Any, _doc({"type": "array", "maxItems": 20, "items": {
        "anyOf": [{"type": "object", "required": ["occupation", "level"],
                   "properties": {"occupation": {"type": "string", "maxLength": 120},
                                  "level": {"type": "string", "enum": level_codes()}}},
                  {"type": "string", "maxLength": 120}]}}), Field(
        None, description=f"已有的职业资格或技能等级证书；等级：{_LEVELS}。[] 表示没有证书")]
    skills_text: _text("会做什么（自由文字）", 2000)
    interests_text: _text("想学什么（自由文字），决定匹配的方向", 2000)
    preferred_industries: Annotated[Any, _doc({"type": "array", "maxItems": 20, "items": {
        "type": "string", "maxLength": 60}}), Field(None, description="想去的行业")]
    mode: Annotated[Any, _doc({"type": "string", "enum": list(MODES)}),
                    Field(None, description="培训方式")]
    max_hours: Annotated[Any, _doc({"type": "integer", "minimum": 0, "maximum": 10000}),
                         Field(None, description="能接受的最长课时")]
    schedule: _text("时间安排，如“周末”“晚上”", 60)
    budget_yuan: Annotated[Any, _doc({"type": "number", "minimum": 0, "maximum": 1000000}),
                           Field(None, description="自付预算（元）")]
    travel: Annotated[Any, _doc({"type": "string", "enum": list(TRAVEL)}), Field(
        None, description="能去多远：" + "、".join(f"{c}（{n}）" for c, n in TRAVEL_NAMES.items()))]
    physical_limits: Annotated[Any, _doc({"type": "array", "maxItems": 10, "items": {
        "type": "string", "enum": limit_codes()}}), Field(
        None, description=f"身体限制（仅用于匹配）：{_LIMITS}")]
    constraints: Annotated[Any, _doc({"type": "array", "maxItems": 20, "items": {
        "type": "string", "maxLength": 120}}), Field(
        None, description="其他限制（自由文字，如“只能晚上学”），其中的身体限制会被识别")]

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """The boundary rule of every free-form object (``api.fields.FreeForm``)."""
        if isinstance(value, dict):
            free_form(value)
        return value


def _as_sent(profile: WorkerProfile) -> dict[str, Any]:
    return profile.model_dump(exclude_unset=True)


# What request models use: documented as WorkerProfile, handed on as the dict the client
# sent (only the keys it sent), as the domain parser expects.
Profile = Annotated[WorkerProfile, AfterValidator(_as_sent),
                    PlainSerializer(lambda value: value, return_type=dict[str, Any])]
