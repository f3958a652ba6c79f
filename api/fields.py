"""Validated field types for the ``/v1`` request schemas, and Chinese reasons for 422s.

Why: a string the database or the JSON encoder cannot store (a lone surrogate, a NUL byte
on PostgreSQL, a control character that later breaks an XLSX hand-out) or a number the
engine cannot use (``NaN`` as an age, an id wider than its column) used to pass the schema
and fail deep inside as a 500 — sometimes after rows were written. Every request field is
typed with one of these, so such input is refused at the boundary with a 422 that names the
field, before any work is done.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Header
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

INT32_MAX = 2**31 - 1  # Integer columns (ids) on PostgreSQL
INT64_MAX = 2**63 - 1  # offsets, and any integer SQLite or JSON storage must hold
MAX_DEPTH = 6  # nesting of a free-form profile / weights object
MAX_ITEMS = 500  # keys plus list items in one free-form object
MAX_FREE_TEXT = 2000  # one string inside a free-form object
MULTILINE_OK = frozenset("\n\t")


def _bad_char(value: str, *, multiline: bool) -> str | None:
    """A Chinese description of the first character that cannot be stored, or None."""
    for i, ch in enumerate(value):
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return f"第 {i + 1} 个字符是无效的 Unicode 代理字符（U+{code:04X}）"
        if code == 0:
            return f"第 {i + 1} 个字符是空字符（U+0000）"
        if multiline and ch in MULTILINE_OK:
            continue
        if unicodedata.category(ch) == "Cc":
            return f"第 {i + 1} 个字符是控制字符（U+{code:04X}）"
    return None


def bad_char(value: str, *, multiline: bool = False) -> str | None:
    """Public for the catalog importer and the upload reader, which use the same rule."""
    return _bad_char(value, multiline=multiline)


def _line(value: str) -> str:
    reason = _bad_char(value, multiline=False)
    if reason:
        raise PydanticCustomError("text_invalid", "{reason}，请删除后重试", {"reason": reason})
    return value


def _text(value: str) -> str:
    reason = _bad_char(value, multiline=True)
    if reason:
        raise PydanticCustomError("text_invalid", "{reason}，请删除后重试", {"reason": reason})
    return value


def _walk(value: Any, path: str, depth: int, seen: list[int]) -> None:
    """Every key and value of a free-form JSON object: text that can be stored, finite
    numbers within 64 bits, bounded depth and size."""
    seen[0] += 1
    if seen[0] > MAX_ITEMS:
        raise PydanticCustomError("free_too_large", "内容太多（最多 {n} 项）", {"n": MAX_ITEMS})
    if depth > MAX_DEPTH:
        raise PydanticCustomError("free_too_deep", "嵌套太深（最多 {n} 层）", {"n": MAX_DEPTH})
    where = f"“{path}”" if path else ""
    if isinstance(value, str):
        reason = _bad_char(value, multiline=True)
        if reason:
            raise PydanticCustomError("text_invalid", "{where}{reason}，请删除后重试",
                                      {"where": where, "reason": reason})
        if len(value) > MAX_FREE_TEXT:
            raise PydanticCustomError("text_too_long", "{where}文字太长（最多 {n} 字）",
                                      {"where": where, "n": MAX_FREE_TEXT})
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > INT64_MAX:
            raise PydanticCustomError("number_out_of_range", "{where}数字超出范围",
                                      {"where": where})
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("number_not_finite",
                                      "{where}必须是有限的数字（不能是 NaN 或 Infinity）",
                                      {"where": where})
    elif isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            reason = _bad_char(key, multiline=False)
            if reason:
                raise PydanticCustomError("key_invalid", "{where}字段名中{reason}",
                                          {"where": where, "reason": reason})
            _walk(item, f"{path}.{key}" if path else key, depth + 1, seen)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", depth + 1, seen)


def free_form(value: dict[str, Any]) -> dict[str, Any]:
    """The free-form rule, public for models that document a free-form object's keys
    (``api.profile_schema.WorkerProfile``)."""
    _walk(value, "", 0, [0])
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise PydanticCustomError("number_not_finite", "必须是有限的数字（不能是 NaN 或 Infinity）")
    return value


# Single-line text (names, ids, regions): no control characters at all.
Line = Annotated[str, AfterValidator(_line)]
# Free text (questions, notes, reasons): newlines and tabs allowed.
Text = Annotated[str, AfterValidator(_text)]
# A free-form JSON object (a worker profile, factor weights), walked to the leaves.
FreeForm = Annotated[dict[str, Any], AfterValidator(free_form)]
FiniteFloat = Annotated[float, AfterValidator(_finite)]
# A row id in an Integer column.
RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]
Offset = Annotated[int, Field(ge=0, le=INT64_MAX)]


# -- Chinese reasons for pydantic's own error types --------------------------------------
_REASONS: dict[str, str] = {
    "missing": "缺少这个字段",
    "extra_forbidden": "不认识这个字段",
    "string_type": "应为文字",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "必须是有限的数字（不能是 NaN 或 Infinity）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为列表",
    "dict_type": "应为对象（JSON object）",
    "model_type": "应为对象（JSON object）",
    "model_attributes_type": "应为对象（JSON object）",
    "literal_error": "只能是 {expected}",
    "enum": "只能是 {expected}",
    "date_type": "应为日期，如 2026-01-31",
    "date_parsing": "应为日期，如 2026-01-31",
    "date_from_datetime_parsing": "应为日期，如 2026-01-31",
    "date_from_datetime_inexact": "应为日期，如 2026-01-31",
    "value_error": "取值无效",
}


def reason(error: dict[str, Any]) -> str:
    """The Chinese reason for one pydantic error; our own errors are Chinese already."""
    kind = str(error.get("type", ""))
    template = _REASONS.get(kind)
    if template is None:
        message = str(error.get("msg", ""))
        return message if _has_chinese(message) else "取值无效"
    try:
        return safe(template.format(**(error.get("ctx") or {})))
    except (KeyError, IndexError, ValueError):
        return "取值无效"


def field_path(loc: Sequence[Any]) -> str:
    """A dotted field path that can always be encoded (a bad key is escaped, not echoed)."""
    return ".".join(safe(str(part)) for part in loc)


def safe(value: str) -> str:
    """Lone surrogates and control characters as ``\\uXXXX``, so an error message that
    quotes the input can itself be encoded as UTF-8 JSON."""
    return "".join(f"\\u{ord(ch):04x}" if 0xD800 <= ord(ch) <= 0xDFFF
                   or unicodedata.category(ch) == "Cc" else ch for ch in value)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- headers the routes read themselves, declared so the OpenAPI document shows them ------
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description=(
        "幂等键（可选，建议用 UUID）：同一个键的重试返回第一次的结果，不会重复创建"))]
