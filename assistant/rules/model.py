"""The shape of the rule data: the fact registry and the rule files, validated on load.

Rules are data so that a policy analyst can read, review and correct them next to the
document they come from (in the spirit of OpenFisca's parameters and YAML tests). A typo in
that data must never turn into a silently wrong answer, so every file is validated here and
a malformed one is refused with a message naming the file and the rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from corpus.errors import JntError

FactType = Literal["str", "int", "float", "bool", "date", "list[str]", "enum"]
Op = Literal[
    "eq", "ne", "in", "not_in", "contains", "contains_any",
    "gte", "gt", "lte", "lt", "between", "exists", "is_true", "is_false",
]
Verdict = Literal["yes", "conditional"]

#: Operators that take no ``value``: they only look at the fact itself.
UNARY_OPS = frozenset({"exists", "is_true", "is_false"})
#: Operators whose ``value`` is a list.
LIST_VALUE_OPS = frozenset({"in", "not_in", "contains_any", "between"})
RULE_ID = r"^[a-z][a-z0-9_]*$"


class RuleFileError(JntError):
    """A rule or fact file that cannot be used: the message names the file and the rule."""

    code = "bad_rule_file"
    status = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# -- facts ---------------------------------------------------------------------------


class FactSpec(_Strict):
    """One fact a rule may read: its type, how to show it, and how to ask for it."""

    type: FactType
    label: str = Field(min_length=1)  # short Chinese name used in generated descriptions
    description: str = Field(min_length=1)
    ask: str = Field(min_length=1)  # the follow-up question when the fact is missing
    values: dict[str, str] | None = None  # allowed value → Chinese label (enum, list[str])
    aliases: dict[str, str] = Field(default_factory=dict)  # what people say → allowed value
    region_level: Literal["province", "prefecture", "county"] | None = None
    unit: str = ""
    min: float | None = None
    max: float | None = None
    range_code: str = "bad_fact"  # error code for a value outside [min, max]
    profile: bool = False  # a field of the worker profile (shared/schemas/worker_profile.md)
    # Values and aliases taken from the shared vocabulary (corpus/domain) instead of listed:
    # "{choices}" in `ask` becomes the vocabulary's short names.
    vocabulary: Literal["groups", "levels"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FactSpec:
        if self.vocabulary and (self.values is not None or self.aliases):
            raise ValueError("a fact with a `vocabulary` takes its values from it; list none")
        if self.vocabulary and self.type != "list[str]":
            raise ValueError("`vocabulary` only for list[str] facts")
        if self.type == "enum" and not self.values:
            raise ValueError("an enum fact needs `values`")
        if self.values is None and self.aliases:
            raise ValueError("`aliases` need `values` to map onto")
        if self.values is not None and self.type not in ("enum", "list[str]"):
            raise ValueError("`values` only for enum and list[str] facts")
        for said, meant in self.aliases.items():
            if self.values is not None and meant not in self.values:
                raise ValueError(f"alias {said!r} maps to {meant!r}, which is not in `values`")
        if self.region_level and self.type != "str":
            raise ValueError("`region_level` only for str facts")
        if (self.min is not None or self.max is not None) and self.type not in ("int", "float"):
            raise ValueError("`min`/`max` only for int and float facts")
        return self


class FactFile(_Strict):
    facts: dict[str, FactSpec]

    @field_validator("facts")
    @classmethod
    def _names(cls, facts: dict[str, FactSpec]) -> dict[str, FactSpec]:
        import re

        for name in facts:
            if not re.fullmatch(RULE_ID, name):
                raise ValueError(f"fact name {name!r} must be English snake_case")
        return facts


# -- rules ---------------------------------------------------------------------------


class Cite(_Strict):
    """Where a condition comes from: a verbatim clause of the cleaned document text."""

    doc: str = Field(min_length=1)
    section: str = Field(min_length=1)
    quote: str = Field(min_length=4)


class Reference(Cite):
    doc_number: str | None = None


class Leaf(_Strict):
    id: str = Field(pattern=RULE_ID)
    fact: str
    op: Op
    value: Any = None
    cite: Cite

    @model_validator(mode="after")
    def _value_matches_op(self) -> Leaf:
        if self.op in UNARY_OPS:
            if self.value is not None:
                raise ValueError(f"op {self.op} takes no value")
            return self
        if self.value is None:
            raise ValueError(f"op {self.op} needs a value")
        if self.op in LIST_VALUE_OPS and not isinstance(self.value, list):
            raise ValueError(f"op {self.op} needs a list value")
        if self.op == "between" and len(self.value) != 2:
            raise ValueError("op between needs [low, high]")
        if self.op in LIST_VALUE_OPS and not self.value:
            raise ValueError(f"op {self.op} needs a non-empty list")
        if self.op not in LIST_VALUE_OPS and isinstance(self.value, list):
            raise ValueError(f"op {self.op} needs a single value, not a list")
        return self


class AllNode(_Strict):
    """Passes when every child passes (an empty list always passes)."""

    all: list[Condition]
    id: str | None = Field(default=None, pattern=RULE_ID)
    label: str | None = None


class AnyNode(_Strict):
    any: list[Condition] = Field(min_length=1)
    id: str | None = Field(default=None, pattern=RULE_ID)
    label: str | None = None


class NotNode(_Strict):
    not_: Condition = Field(alias="not")
    id: str | None = Field(default=None, pattern=RULE_ID)
    label: str | None = None


def _kind(raw: Any) -> str | None:
    """Which node a raw mapping is, so a bad node gets one clear error instead of four."""
    if isinstance(raw, BaseModel):
        return {Leaf: "leaf", AllNode: "all", AnyNode: "any", NotNode: "not"}.get(type(raw))
    if not isinstance(raw, dict):
        return None
    for key in ("all", "any", "not"):
        if key in raw:
            return key
    return "leaf"


Condition = Annotated[
    Annotated[Leaf, Tag("leaf")]
    | Annotated[AllNode, Tag("all")]
    | Annotated[AnyNode, Tag("any")]
    | Annotated[NotNode, Tag("not")],
    Discriminator(_kind),
]


class Effective(_Strict):
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.to is not None and self.to < self.from_:
            raise ValueError("effective.to is before effective.from")
        return self


def _yaml_yes(value: Any) -> Any:
    """YAML 1.1 reads a bare ``yes`` as ``True``; accept it rather than fail obscurely."""
    return "yes" if value is True else value


class Outcome(_Strict):
    benefit: str = Field(min_length=1)
    amount: str | None = None
    uplift_percent: float | None = None
    department: str | None = None
    verdict_if_pass: Verdict

    @field_validator("verdict_if_pass", mode="before")
    @classmethod
    def _yes(cls, value: Any) -> Any:
        return _yaml_yes(value)


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    region: str = Field(min_length=1)
    effective: Effective
    subject: list[str] = Field(min_length=1)
    reads: list[str] = Field(default_factory=list)  # empty only when there are no leaves
    triggers: list[list[str]] = Field(min_length=1)
    conditions: Condition
    outcome: Outcome
    reference: Reference
    interpretation: str | None = None  # how an ambiguous clause was read, in Chinese

    @field_validator("subject", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("triggers")
    @classmethod
    def _non_empty_groups(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not group or not all(term.strip() for term in group) for group in groups):
            raise ValueError("every trigger group needs at least one non-empty term")
        return groups


class RuleFile(_Strict):
    """A rules file. ``clauses`` holds reusable cites, referenced with YAML aliases."""

    clauses: dict[str, Any] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(min_length=1)


AllNode.model_rebuild()
AnyNode.model_rebuild()
NotNode.model_rebuild()
Rule.model_rebuild()


def explain(error: ValidationError, limit: int = 3) -> str:
    """The first few pydantic errors as ``path: message`` lines, for a human to fix."""
    lines = []
    for item in error.errors()[:limit]:
        path = ".".join(str(p) for p in item["loc"]) or "(根)"
        lines.append(f"{path}: {item['msg']}")
    more = len(error.errors()) - limit
    if more > 0:
        lines.append(f"……另有 {more} 处错误")
    return "；".join(lines)


def parse_rule(raw: Any, file: str, index: int) -> Rule:
    """Validate one raw rule, naming the file and the rule id in any error."""
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        return Rule.model_validate(raw)
    except ValidationError as error:
        raise RuleFileError(
            f"规则文件 {file} 中的规则 {rule_id or f'第{index + 1}条'} 格式有误：{explain(error)}",
            detail={"file": file, "rule": rule_id, "index": index,
                    "errors": [str(e["msg"]) for e in error.errors()]},
        ) from error
