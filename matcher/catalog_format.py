"""Reading training-program catalogs and shortage lists as job centers hold them.

The format is ``shared/schemas/program_catalog.md``: a UTF-8 CSV (Excel adds a BOM), the
first sheet of an .xlsx, or JSON lines, with English keys or Chinese headers in any order.
Each row becomes a normalised ``ProgramRow`` or ``RowError``s naming the line and the
column *as written in the file*, so whoever keeps the catalog can find and fix it. Nothing
here touches the database: ``matcher.catalog`` decides what is written.

A cell with a control character (other than tab and line breaks), NUL or a lone surrogate
is refused, not silently cleaned: stored, it would make every later hand-out holding it
fail, and a cleaned value would differ from the keeper's file without their knowing. CSV
text may be UTF-8 (with or without BOM), UTF-16 with BOM or GB18030/GBK; anything else is
a clear ``catalog_bad_encoding`` error, never mojibake.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from corpus.domain.vocabulary import groups
from corpus.errors import IngestError, InvalidInput
from corpus.regions import NATIONAL, Region, regions, short_name
from matcher import vocab
from matcher.db import Program
from matcher.reference import classification

FORMATS = (".csv", ".xlsx", ".jsonl")
REQUIRED = ("program_id", "title", "occupation", "provider", "province", "mode")
# key -> (Chinese header, kind). ``enrolled`` (已报名人数) is an accepted extension column.
FIELDS: dict[str, tuple[str, str]] = {
    "program_id": ("项目编号", "text"), "title": ("项目名称", "text"),
    "occupation": ("职业（工种）", "text"), "occupation_code": ("职业编码", "code"),
    "level": ("培训等级", "level"), "certificate": ("证书类型", "certificate"),
    "provider": ("培训机构", "text"), "provider_type": ("机构类型", "provider_type"),
    "province": ("省份", "text"), "city": ("城市", "text"), "county": ("区县", "text"),
    "mode": ("培训方式", "mode"), "hours": ("课时", "int"), "days": ("培训天数", "int"),
    "fee_yuan": ("收费标准（元）", "number"), "subsidized": ("是否补贴性培训", "bool"),
    "target_groups": ("面向人群", "groups"), "industry": ("所属产业", "text"),
    "brand_level": ("品牌等级", "brand_level"), "trained_last_year": ("上年度培训人数", "int"),
    "pass_rate": ("培训合格率", "percent"), "employment_rate": ("培训后就业率", "percent"),
    "key_group_trained": ("重点群体培训人数", "int"),
    "order_based_ratio": ("订单定岗定向培训占比", "percent"),
    "start_date": ("开班日期", "date"), "end_date": ("结业日期", "date"),
    "schedule": ("上课时间", "text"), "capacity": ("招生人数", "int"),
    "enrolled": ("已报名人数", "int"), "min_age": ("最低年龄", "int"),
    "max_age": ("最高年龄", "int"), "prerequisite": ("报名条件", "text"),
    "description": ("课程简介", "text"), "contact": ("联系方式", "text"),
}
_CATALOG_ALIASES = {"职业工种": "occupation", "工种": "occupation", "机构名称": "provider",
                    "培训机构名称": "provider", "省": "province", "市": "city", "地市": "city",
                    "县区": "county", "报名人数": "enrolled"}
SHORTAGE_FIELDS: dict[str, tuple[str, str]] = {
    "region": ("地区", "text"), "period": ("期别", "text"), "occupation": ("职业（工种）", "text"),
    "occupation_code": ("职业编码", "code"), "rank": ("排名", "int"), "source": ("来源", "text"),
}
_SHORTAGE_ALIASES = {"时期": "period", "批次": "period", "季度": "period", "职业名称": "occupation",
                     "工种": "occupation", "排序": "rank", "序号": "rank", "数据来源": "source"}
AGE_RANGE = (14, 80)
_LIMITS = {c.key: c.type.length for c in Program.__table__.columns
           if getattr(c.type, "length", None)}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the header as written in the file ("" when the whole row is unreadable)
    reason: str  # Chinese, shown to the user as is

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass(slots=True)
class ProgramRow:
    """One program, normalised; attribute names are the ``Program`` columns."""

    line: int
    program_id: str
    title: str
    occupation: str
    provider: str
    province: str
    mode: str
    occupation_code: str | None = None
    level: str | None = None
    certificate: str | None = None
    provider_type: str | None = None
    city: str | None = None
    county: str | None = None
    hours: int | None = None
    days: int | None = None
    fee_yuan: float | None = None
    subsidized: bool | None = None
    target_groups: list[str] = field(default_factory=list)
    industry: str | None = None
    brand_level: str | None = None
    trained_last_year: int | None = None
    pass_rate: float | None = None
    employment_rate: float | None = None
    key_group_trained: int | None = None
    order_based_ratio: float | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    schedule: str | None = None
    capacity: int | None = None
    enrolled: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    prerequisite: str | None = None
    description: str | None = None
    contact: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """Column values for the ``programs`` table (without source/is_sample/updated_at)."""
        return {name: getattr(self, name) for name in _RECORD}


_RECORD = tuple(f.name for f in fields(ProgramRow) if f.name != "line")


@dataclass(frozen=True)
class ShortageItem:
    line: int
    region: str
    period: str
    occupation: str
    occupation_code: str | None
    rank: int | None
    source: str | None


@dataclass
class Parsed:
    """A whole file read: good rows, every error, and how many data rows there were."""

    rows: list[Any]
    errors: list[RowError]
    total: int

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})


# -- headers ---------------------------------------------------------------------------


def _fold(header: str) -> str:
    """NFKC (full-width brackets and spaces), no BOM, no spaces/underscores, lower case."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return re.sub(r"[\s_\-]+", "", text).lower()


class HeaderMap:
    """English key or Chinese header (with or without its bracketed part) -> key."""

    def __init__(self, spec: dict[str, tuple[str, str]], aliases: dict[str, str],
                 required: tuple[str, ...]) -> None:
        self.spec, self.required = spec, required
        self._map: dict[str, str] = {}
        for key, (zh, _) in spec.items():
            self._map[_fold(key)] = key
            self._map[_fold(zh)] = key
            self._map.setdefault(re.sub(r"\(.*\)$", "", _fold(zh)), key)
        self._map.update({_fold(a): k for a, k in aliases.items()})
        self.key = lru_cache(maxsize=4096)(self._key)

    def _key(self, header: str) -> str | None:
        return self._map.get(_fold(header))

    def check(self, headers: list[str], name: str) -> None:
        """A header row must name every required column, and no key twice."""
        seen: dict[str, str] = {}
        for header in headers:
            key = self.key(header)
            if key is None:
                continue
            if key in seen:
                raise InvalidInput(f"{name} 的表头“{seen[key]}”和“{header}”是同一项，"
                                   "只能保留一列。",
                                   code="catalog_bad_header",
                                   detail={"file": name, "columns": [seen[key], header]})
            seen[key] = header
        missing = [k for k in self.required if k not in seen]
        if missing:
            names = "、".join(f"{self.spec[k][0]}（{k}）" for k in missing)
            raise InvalidInput(f"{name} 缺少必填列：{names}。", code="catalog_missing_columns",
                               detail={"file": name, "missing": missing})


CATALOG_HEADERS = HeaderMap(FIELDS, _CATALOG_ALIASES, REQUIRED)
SHORTAGE_HEADERS = HeaderMap(SHORTAGE_FIELDS, _SHORTAGE_ALIASES,
                             ("region", "period", "occupation"))


def header_key(header: str) -> str | None:
    """The catalog key a header names, or None for an unknown (extra) column."""
    return CATALOG_HEADERS.key(header)


# -- readers: (line, {header as written: value}, problem) --------------------------------

RawRow = tuple[int, dict[str, Any], str | None]


def read_table(path: Path, headers: HeaderMap) -> Iterator[RawRow]:
    """Rows of a .csv, .xlsx or .jsonl file with their physical line (header = line 1)."""
    if not path.is_file():
        raise InvalidInput(f"找不到文件：{path}", code="file_not_found", detail={"path": str(path)})
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, headers)
    if suffix == ".xlsx":
        return _read_xlsx(path, headers)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    hint = "（.xls 请在 Excel 中另存为 .xlsx）" if suffix == ".xls" else ""
    raise IngestError(f"不支持的目录文件格式“{suffix or path.name}”，"
                      f"请使用 CSV、XLSX 或 JSONL{hint}。",
                      code="catalog_unsupported_format", detail={"file": path.name})


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
MAX_RARE_SHARE = 0.01  # GB18030 four-byte (non-GBK) characters in a real Chinese catalog


def _decode(path: Path) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK (what Excel on Chinese
    Windows saves). Text that decodes only as mojibake is refused with a clear error rather
    than imported: a catalog of garbled titles would be worse than none."""
    data = path.read_bytes()
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                raise _undecodable(path, f"文件标明是 {encoding.upper()} 编码，但内容无法按此解码"
                                   ) from None
    if data.count(b"\x00") * 10 > len(data):  # one NUL in a cell is a cell error, below
        raise _undecodable(path, "文件含有大量 NUL 字节（可能是没有 BOM 的 UTF-16，或不是文本）")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _undecodable(path, "既不是 UTF-8，也不是 GB18030/GBK 编码") from None
    if "\x00" in text or not _plausible_gb(text):
        raise _undecodable(path, "按 GB18030/GBK 解码后是乱码")
    return text


def _plausible_gb(text: str) -> bool:
    """GB18030 decodes many foreign byte soups without error; what gives them away is
    private-use or unassigned code points and a share of characters outside GBK."""
    rare = 0
    for ch in text:
        if unicodedata.category(ch) in ("Co", "Cn", "Cs"):
            return False
        if ord(ch) > 0x7F:
            try:
                ch.encode("gbk")
            except UnicodeEncodeError:
                rare += 1
    return rare <= max(1, len(text) * MAX_RARE_SHARE)


def _undecodable(path: Path, why: str) -> IngestError:
    return IngestError(f"无法识别 {path.name} 的文字编码：{why}。请在 Excel 中另存为"
                       f"“CSV UTF-8（逗号分隔）”后重新导入。",
                       code="catalog_bad_encoding", detail={"file": path.name})


def _named(header: list[str], path: Path, headers: HeaderMap) -> list[str]:
    names = [unicodedata.normalize("NFC", h or "").replace("\ufeff", "").strip() for h in header]
    if not any(names):
        raise InvalidInput(f"{path.name} 没有表头行。", code="catalog_empty",
                           detail={"file": path.name})
    counts: dict[str, int] = {}
    for i, name in enumerate(names):  # repeated unknown headers keep every column
        if name and headers.key(name) is None:
            counts[name] = counts.get(name, 0) + 1
            names[i] = name if counts[name] == 1 else f"{name}#{counts[name]}"
    headers.check([n for n in names if n], path.name)
    return names


def _zip(names: list[str], cells: Any) -> tuple[dict[str, Any], str | None]:
    cells = list(cells)
    extra = [c for c in cells[len(names):] if c is not None and str(c).strip()]
    problem = (f"本行有 {len(names) + len(extra)} 列数据，比表头多（可能是未加引号的逗号）"
               if extra else None)
    return {n: c for n, c in zip(names, cells, strict=False) if n}, problem


def _read_csv(path: Path, headers: HeaderMap) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    names = _named(next(reader, []), path, headers)
    previous = reader.line_num
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if any(c.strip() for c in cells):
            values, problem = _zip(names, cells)
            yield start, values, problem


def _read_xlsx(path: Path, headers: HeaderMap) -> Iterator[RawRow]:
    import openpyxl  # only xlsx imports need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"无法读取 Excel 文件 {path.name}：文件已损坏或不是 .xlsx 格式。",
                          code="catalog_unreadable",
                          detail={"file": path.name, "error": type(exc).__name__}) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
        rows = sheet.iter_rows(values_only=True)
        names = _named([_cell(c) for c in next(rows, ())], path, headers)
        for number, cells in enumerate(rows, 2):
            if any(c not in (None, "") and str(c).strip() for c in cells):
                values, problem = _zip(names, cells)
                yield number, values, problem
    finally:
        book.close()


def _read_jsonl(path: Path) -> Iterator[RawRow]:
    for number, line in enumerate(_decode(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            yield number, {}, "本行不是有效的 JSON"
            continue
        if isinstance(item, dict):
            yield number, {str(k).strip(): v for k, v in item.items()}, None
        else:
            yield number, {}, "本行应是一个 JSON 对象（{…}）"


# -- values ------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell that cannot be read; the message is the Chinese reason."""


def _cell(value: Any) -> Any:
    """Any reader's value as stripped text (lists stay lists, for 面向人群 in JSON lines)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    return str(value)


def _extra(value: Any) -> Any:
    """Unknown columns are kept as given, JSON-safe."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value.strip() if isinstance(value, str) else value
    return _cell(value)


def _nfkc(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("应是单个值，不能是列表")
    return unicodedata.normalize("NFKC", value).strip()


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("应是文本，不能是列表")
    return value


_UNITS = re.compile(r"(人次|人|元|课时|学时|小时|天|岁|个)$")


def _number(value: Any) -> float:
    text = _UNITS.sub("", _nfkc(value).replace(",", "")).strip()
    if text in ("免费", "无"):
        return 0.0
    try:
        number = float(text)
    except ValueError:
        raise _Bad(f"“{value}”不是数字") from None
    if not math.isfinite(number):
        raise _Bad(f"“{value}”不是数字")
    if number < 0:
        raise _Bad(f"不能为负数（{value}）")
    return number


def _int(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise _Bad(f"应为整数，收到“{value}”")
    return int(number)


def _percent(value: Any) -> float:
    """``92%``, ``92`` and ``0.92`` are all 92.0: without a % sign, ≤1 is a fraction."""
    text = _nfkc(value)
    has_sign = text.endswith("%")
    number = _number(text.rstrip("%").strip())
    if not has_sign and number <= 1:
        number *= 100
    if number > 100:
        raise _Bad(f"比例不能超过 100%（{value}）")
    return round(number, 6)


_TRUE = {"是", "y", "yes", "true", "t", "1", "有", "对"}
_FALSE = {"否", "n", "no", "false", "f", "0", "无", "不是"}


def _bool(value: Any) -> bool:
    text = _nfkc(value).lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise _Bad(f"应填 是/否，收到“{value}”")


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")


def _date(value: Any) -> dt.date:
    """``2026-03-01``, ``2026/3/1``, ``2026年3月1日`` (and ``2026.3.1``)."""
    match = _DATE.fullmatch(_nfkc(value))
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise _Bad(f"“{value}”不是有效日期，应写作 2026-03-01、2026/3/1 或 2026年3月1日")


def _list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[;；、,，]", value)
    return [str(i).strip() for i in items if str(i).strip()]


def _groups(value: Any) -> list[str]:
    """Target groups in the profile's vocabulary ("退伍军人" → 退役军人), so a program open
    to 退伍军人 is open to a worker whose profile says 当过兵. A word outside the vocabulary
    is kept as written: the ranking then asks the worker to confirm it."""
    out: list[str] = []
    for item in _list(value):
        for group in groups().canonical(item) or [item]:
            if group not in out:
                out.append(group)
    return out


_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")


def _code(value: Any) -> str:
    text = _nfkc(value)
    if not _CODE.fullmatch(text):
        raise _Bad(f"“{value}”格式不对，应形如 6-18-02-04")
    return text


def _enum(options: tuple[str, ...], aliases: dict[str, str], shown: str) -> Any:
    folded = {_fold(o): o for o in options} | {_fold(a): o for a, o in aliases.items()}

    def parse(value: Any) -> str:
        found = folded.get(_fold(_nfkc(value)))
        if found is None:
            raise _Bad(f"未知的取值“{value}”，可填：{shown}")
        return found
    return parse


def _via(parse: Any, shown: str) -> Any:
    def wrapped(value: Any) -> str:
        found = parse(_nfkc(value))
        if found is None:
            raise _Bad(f"未知的取值“{value}”，可填：{shown}")
        return found
    return wrapped


_PARSERS: dict[str, Any] = {
    "text": _text, "int": _int, "number": _number, "bool": _bool, "percent": _percent,
    "date": _date, "list": _list, "groups": _groups, "code": _code,
    "level": _via(vocab.level, "、".join(vocab.LEVEL_NAMES.values())),
    "mode": _via(vocab.mode, "、".join(vocab.MODES)),
    "brand_level": _via(vocab.brand_level,
                        "国家级、省级（自治区级）、市级（盟市级）、县级（旗县级）、无"),
    "certificate": _enum(vocab.CERTIFICATES, {
        "资格证书": "职业资格证书", "技能等级证书": "职业技能等级证书",
        "等级证书": "职业技能等级证书", "专项能力证书": "专项职业能力证书",
        "合格证书": "培训合格证书", "培训合格证": "培训合格证书", "结业证书": "培训合格证书",
        "1+X证书": "1+X职业技能等级证书"}, "、".join(vocab.CERTIFICATES)),
    "provider_type": _enum(vocab.PROVIDER_TYPES, {
        "技工学校": "技工院校", "技师学院": "技工院校", "职业学校": "职业院校",
        "高职院校": "职业院校", "高校": "普通高校", "民办培训学校": "民办职业培训学校",
        "民办培训机构": "民办职业培训学校", "企业": "企业培训中心",
        "实训基地": "公共实训基地", "线上平台": "线上培训平台"},
        "、".join(vocab.PROVIDER_TYPES)),
}


# -- regions -----------------------------------------------------------------------------

# "江西省人社厅": job centers often write the issuing office where the region belongs.
_OFFICE = re.compile(r"(人力资源和社会保障|人力资源社会保障|人社)(厅|局)$"
                     r"|(就业服务|就业)(局|中心)$")


@lru_cache(maxsize=1)
def _places() -> dict[str, list[Region]]:
    """Every region under its full and short name: county names repeat across China."""
    table: dict[str, list[Region]] = {}
    for region in regions().by_code.values():
        for name in {region.name, short_name(region.name)}:
            table.setdefault(name, []).append(region)
    return table


def _within(region: Region, parent: Region) -> bool:
    return parent in regions().lineage(region)


@lru_cache(maxsize=4096)
def resolve_place(province: str, city: str, county: str) -> tuple[tuple[str, ...], str, str]:
    """Official names of (province, city, county), or ((), failing key, Chinese reason)."""
    places = _places()
    name = _OFFICE.sub("", re.sub(r"\s+", "", province))
    prov = next((r for r in places.get(name, []) if r.level == "province"), None)
    if prov is None:
        known = places.get(name)
        return (), "province", (f"“{province}”不是省级地区" if known else f"未知省份“{province}”")
    out = [prov.name, "", ""]
    parent = prov
    if city:
        found = places.get(re.sub(r"\s+", "", city), [])
        fits = [r for r in found if r.level == "prefecture" and r.parent == prov.code]
        fits += [r for r in found if r.level == "county" and r.parent == prov.code]
        if prov.is_municipality and prov in found:
            fits.append(prov)
        if not fits:
            if any(_within(r, prov) for r in found):
                return (), "city", f"“{city}”是区县，请填在区县列，城市列填它所属的市"
            reason = f"城市“{city}”不在{prov.name}" if found else f"未知城市“{city}”"
            return (), "city", reason
        parent = fits[0]
        out[1] = parent.name
    if county:
        found = places.get(re.sub(r"\s+", "", county), [])
        fits = [r for r in found if r.level == "county" and _within(r, parent)]
        if not fits:
            reason = f"区县“{county}”不在{parent.name}" if found else f"未知区县“{county}”"
            return (), "county", reason
        out[2] = fits[0].name
    return tuple(out), "", ""


# -- rows --------------------------------------------------------------------------------


def _map(raw: Mapping[str, Any], line: int, headers: HeaderMap
         ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any], list[RowError]]:
    """Known values by key, the header each came from, unknown columns, and clashes."""
    values: dict[str, Any] = {}
    written: dict[str, str] = {}
    extra: dict[str, Any] = {}
    errors: list[RowError] = []
    key_of = headers.key
    for header, value in raw.items():
        reason = _unstorable(header) or _unstorable(value)
        if reason:  # refused, not cleaned: the keeper fixes the file and sees what was wrong
            errors.append(RowError(line, _shown(header), f"{reason}，请删除后重新导入"))
            if (key := key_of(header)) is not None and key not in written:
                written[key], values[key] = header, _REFUSED  # not "missing" as well
            continue
        key = key_of(header)
        if key is None:
            if value not in (None, "") and header:
                extra[header] = _extra(value)
        elif key in written:
            errors.append(RowError(line, header, f"与“{written[key]}”是同一项，只能填一列"))
        else:
            written[key] = header
            values[key] = value.strip() if type(value) is str else _cell(value)
    return values, written, extra, errors


_REFUSED = object()  # a cell ``_map`` refused: reported once, never parsed
_HARMLESS = frozenset("\t\n\r")  # line breaks in a quoted cell; every export keeps them


def _unstorable(value: Any) -> str | None:
    """Why a cell cannot be stored, or None. A control character (other than tab and line
    breaks), NUL or lone surrogate would be stored fine but makes every later XLSX/HTML
    hand-out holding it fail, so the row is refused at import with its line and column."""
    if isinstance(value, str):
        for ch in value:
            if ch in _HARMLESS:
                continue
            code = ord(ch)
            if 0xD800 <= code <= 0xDFFF:
                return f"含有无效的 Unicode 代理字符（U+{code:04X}）"
            if unicodedata.category(ch) == "Cc":
                return f"含有控制字符（U+{code:04X}）"
        return None
    if isinstance(value, list | tuple):
        return next((r for r in map(_unstorable, value) if r), None)
    if isinstance(value, dict):
        return next((r for k, v in value.items() for r in (_unstorable(str(k)),
                                                           _unstorable(v)) if r), None)
    return None


def _shown(header: str) -> str:
    """A header safe to print and to encode as JSON, its bad characters as ``\\uXXXX``."""
    return "".join(f"\\u{ord(ch):04x}" if _unstorable(ch) else ch for ch in header)


@dataclass(frozen=True)
class _Column:
    key: str
    label: str  # the Chinese header without its bracketed part, for reasons
    is_list: bool
    parse: Any
    required: bool
    limit: int | None  # the column's length in the database


def _cached(parse: Any) -> Any:
    """Catalogs repeat the same levels, dates and rates on thousands of rows: read each
    distinct text once. Bad values raise and so are never cached."""
    memo = lru_cache(maxsize=65536)(parse)
    return lambda value: memo(value) if isinstance(value, str) else parse(value)


@lru_cache(maxsize=4)
def _plan(headers: HeaderMap) -> tuple[_Column, ...]:
    return tuple(
        _Column(key, re.sub(r"（.*）$", "", zh), kind in ("list", "groups"),
                _PARSERS[kind] if kind in ("text", "list", "groups") else _cached(_PARSERS[kind]),
                key in headers.required, _LIMITS.get(key))
        for key, (zh, kind) in headers.spec.items())


def _convert(values: dict[str, Any], headers: HeaderMap, column: Any, line: int
             ) -> tuple[dict[str, Any], list[RowError]]:
    out: dict[str, Any] = {}
    errors: list[RowError] = []
    for col in _plan(headers):
        value = values.get(col.key)
        if value is _REFUSED:  # already reported by ``_map``
            out[col.key] = [] if col.is_list else None
            continue
        if not value:
            if col.required:
                errors.append(RowError(line, column(col.key), f"缺少必填项“{col.label}”"))
            out[col.key] = [] if col.is_list else None
            continue
        try:
            parsed = col.parse(value)
            if col.limit and isinstance(parsed, str) and len(parsed) > col.limit:
                raise _Bad(f"超过 {col.limit} 字")
            out[col.key] = parsed
        except _Bad as exc:
            errors.append(RowError(line, column(col.key), f"{col.label}：{exc}"))
            out[col.key] = None
    return out, errors


def _columns(written: dict[str, str], spec: dict[str, tuple[str, str]]) -> Any:
    """The header as written, or (for a key absent from a JSON line) the row's own style."""
    def column(key: str) -> str:
        if key in written:
            return written[key]
        return spec[key][0] if any(not h.isascii() for h in written.values()) else key
    return column


def parse_row(raw: Mapping[str, Any], line: int) -> tuple[ProgramRow | None, list[RowError]]:
    """One catalog row -> a normalised ``ProgramRow``, or None and every reason it is bad."""
    values, written, extra, errors = _map(raw, line, CATALOG_HEADERS)
    column = _columns(written, FIELDS)
    out, bad = _convert(values, CATALOG_HEADERS, column, line)
    errors += bad
    start, end = out["start_date"], out["end_date"]
    if start and end and end < start:
        errors.append(RowError(line, column("end_date"), f"结业日期 {end} 早于开班日期 {start}"))
    for key in ("min_age", "max_age"):
        age = out[key]
        if age is not None and not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
            errors.append(RowError(line, column(key), f"年龄 {age} 不在 14–80 岁之间"))
    if out["min_age"] is not None and out["max_age"] is not None \
            and out["min_age"] > out["max_age"]:
        errors.append(RowError(line, column("min_age"),
                               f"最低年龄 {out['min_age']} 大于最高年龄 {out['max_age']}"))
    if out["province"]:
        names, key, reason = resolve_place(out["province"], out["city"] or "", out["county"] or "")
        if names:
            out["province"], out["city"], out["county"] = (n or None for n in names)
        else:
            errors.append(RowError(line, column(key), reason))
    if out["occupation"] and not out["occupation_code"]:
        found = classification().find(out["occupation"])  # unknown names keep a None code
        out["occupation_code"] = found.code if found else None
    if errors:
        return None, errors
    return ProgramRow(line=line, extra=extra, **out), []


def _header_of(raw: Mapping[str, Any], headers: HeaderMap, key: str) -> str:
    return next((h for h in raw if headers.key(h) == key), key)


def parse_file(path: Path) -> Parsed:
    """Every row of a catalog file; a repeated 项目编号 makes the later row bad."""
    rows: list[ProgramRow] = []
    errors: list[RowError] = []
    first: dict[str, int] = {}
    total = 0
    for line, raw, problem in read_table(path, CATALOG_HEADERS):
        total += 1
        row, bad = (None, [RowError(line, "", problem)]) if problem else parse_row(raw, line)
        header = _header_of(raw, CATALOG_HEADERS, "program_id")
        ident = _cell(raw.get(header))
        if isinstance(ident, str) and ident in first:
            bad.append(RowError(line, header, f"项目编号“{ident}”与第 {first[ident]} 行重复"))
        elif isinstance(ident, str) and ident:
            first[ident] = line
        if bad:
            errors.extend(bad)
        elif row is not None:
            rows.append(row)
    return Parsed(rows, errors, total)


# -- shortage lists ----------------------------------------------------------------------

_PERIOD = re.compile(r"\d{4}(?:Q[1-4]|H[12]|-\d{4})?")


def _shortage_region(value: str) -> Region | None:
    name = _OFFICE.sub("", re.sub(r"\s+", "", value))
    if name in (NATIONAL, "中国", "国家"):
        return regions().find(NATIONAL)
    return next((r for r in _places().get(name, []) if r.level in ("province", "prefecture")),
                None)


def parse_shortage_row(raw: Mapping[str, Any], line: int
                       ) -> tuple[ShortageItem | None, list[RowError]]:
    values, written, _, errors = _map(raw, line, SHORTAGE_HEADERS)
    column = _columns(written, SHORTAGE_FIELDS)
    out, bad = _convert(values, SHORTAGE_HEADERS, column, line)
    errors += bad
    if out["region"]:
        region = _shortage_region(out["region"])
        if region is None:
            errors.append(RowError(line, column("region"),
                                   f"地区“{out['region']}”应为全国、某个省或某个市"))
        else:
            out["region"] = region.name
    if out["period"]:
        period = unicodedata.normalize("NFKC", out["period"]).upper().replace(" ", "")
        if _PERIOD.fullmatch(period):
            out["period"] = period
        else:
            errors.append(RowError(line, column("period"),
                                   f"期别“{out['period']}”应写作 2022Q3、2024 或 2024H1"))
    if out["rank"] == 0:
        errors.append(RowError(line, column("rank"), "排名应从 1 开始"))
    if out["occupation"] and not out["occupation_code"]:
        found = classification().find(out["occupation"])
        out["occupation_code"] = found.code if found else None
    if errors:
        return None, errors
    return ShortageItem(line=line, **out), []


def parse_shortage_file(path: Path) -> Parsed:
    """Every row of a shortage list; one occupation twice in one region and period is bad."""
    rows: list[ShortageItem] = []
    errors: list[RowError] = []
    first: dict[tuple[str, str, str], int] = {}
    total = 0
    for line, raw, problem in read_table(path, SHORTAGE_HEADERS):
        total += 1
        if problem:
            errors.append(RowError(line, "", problem))
            continue
        item, bad = parse_shortage_row(raw, line)
        if item is not None:
            key = (item.region, item.period, item.occupation)
            if key in first:
                bad = [RowError(line, _header_of(raw, SHORTAGE_HEADERS, "occupation"),
                                f"“{item.occupation}”在{item.region} {item.period} 中与第 "
                                f"{first[key]} 行重复")]
            else:
                first[key] = line
                rows.append(item)
        errors.extend(bad)
    return Parsed(rows, errors, total)
