"""Document metadata: what a citation needs to say where a clause comes from.

Metadata is merged from, lowest priority first: a sidecar ``<file>.meta.yaml``, the
file's YAML front matter, then command-line options.

``source_kind`` says how far the text can be trusted as the policy's own words: a machine-
reworded reprint (the shipped 人社部 Q&A says 网络+ for 互联网+) or a news report is not
the document, and every citation of it says so with ``source_note``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from corpus.db import Document
from corpus.errors import IngestError
from corpus.regions import NATIONAL, regions

# Column lengths of ``documents``: PostgreSQL refuses longer values (SQLite would keep them).
_LIMITS = {c.key: c.type.length for c in Document.__table__.columns
           if getattr(c.type, "length", None)}

SOURCE_KINDS = ("official", "reprint", "news", "unknown")
SOURCE_KIND_NAMES = {"官方": "official", "原文": "official", "转载": "reprint",
                     "新闻": "news", "报道": "news", "未知": "unknown"}
# What a citation says when the sidecar names the kind but gives no note of its own.
DEFAULT_SOURCE_NOTES = {"reprint": "转载文本，以发布机关的原文为准",
                        "news": "新闻报道，不是政策原文，以发布机关的文件为准"}


class DocumentMeta(BaseModel):
    id: str
    title: str
    doc_number: str | None = None  # 文号
    issuer: str | None = None
    region: str = NATIONAL
    published: dt.date | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    doc_type: str | None = None
    source: str | None = None
    source_kind: str = "unknown"  # SOURCE_KINDS; unknown unless a person says otherwise
    source_note: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_safe(cls, value: str) -> str:
        if not re.fullmatch(r"[\w\-.()（）]{1,120}", value):
            raise ValueError("文档编号只能包含字母、数字、汉字、-、_、.")
        return value

    @field_validator("region")
    @classmethod
    def _region_known(cls, value: str) -> str:
        region = regions().find(value)
        if region is None:
            raise ValueError(f"未知地区“{value}”，请填写省、市、县的名称或“全国”")
        return region.name

    @field_validator("source_kind", mode="before")
    @classmethod
    def _source_kind_known(cls, value: Any) -> Any:
        if value is None:
            return "unknown"
        kind = SOURCE_KIND_NAMES.get(str(value).strip(), str(value).strip().lower())
        if kind not in SOURCE_KINDS:
            raise ValueError(f"来源类型“{value}”无效，应为 official（官方原文）、reprint（转载）、"
                             "news（新闻报道）或 unknown（未知）")
        return kind

    @model_validator(mode="after")
    def _note_for_kind(self) -> DocumentMeta:
        if self.source_note is None:
            self.source_note = DEFAULT_SOURCE_NOTES.get(self.source_kind)
        return self

    @field_validator("doc_number", "issuer", "doc_type", "source", "source_note", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("title", "doc_number", "issuer", "doc_type", "source_note")
    @classmethod
    def _fits_its_column(cls, value: str | None, info: ValidationInfo) -> str | None:
        limit = _LIMITS[info.field_name or ""]
        if value is not None and len(value) > limit:
            raise ValueError(f"不能超过 {limit} 个字")
        return value


def default_id(path: Path) -> str:
    stem = path.name.split(".")[0]
    return re.sub(r"[^\w\-.()（）]", "_", stem)[:120] or "doc"


def first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def build_meta(path: Path, text: str, *layers: dict[str, Any]) -> DocumentMeta:
    """Merge metadata layers (later wins; ``None`` values do not override)."""
    merged: dict[str, Any] = {"id": default_id(path), "title": first_line_title(text)}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})
    try:
        return DocumentMeta(**merged)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        raise IngestError(
            f"文件 {path.name} 的元数据有误：" + "；".join(
                f"{p['field']}：{p['reason']}" for p in problems),
            code="bad_metadata",
            detail={"file": path.name, "problems": problems},
        ) from None
