"""Catalog files in the encodings job centers actually save, and cells that would break a
later hand-out: the text decoded right or a clear error (never mojibake), and a control
character refused with its line and column (never stored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.errors import IngestError
from matcher.catalog_format import parse_file, parse_shortage_file

HEADER = "项目编号,项目名称,职业（工种）,培训机构,省,市,培训方式\n"
ROW = "JX-001,焊工技能提升培训班,焊工,赣州第一技工学校,江西省,赣州市,线下\n"


def write(tmp_path: Path, data: bytes, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b""),
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
])
def test_encodings_decode_to_the_same_rows(tmp_path: Path, encoding: str, bom: bytes) -> None:
    parsed = parse_file(write(tmp_path, bom + (HEADER + ROW).encode(encoding)))
    assert parsed.errors == []
    assert [(r.program_id, r.title, r.province) for r in parsed.rows] == [
        ("JX-001", "焊工技能提升培训班", "江西省")]


@pytest.mark.parametrize("data", [
    b"\xff\xfe" + "项目编号\n".encode("utf-16-le")[:-1] + b"\x00\xd8",  # UTF-16 BOM, cut
    (HEADER + ROW).encode("utf-16-le"),  # UTF-16 without a BOM: NUL bytes
    (HEADER + ROW).encode("utf-8") + b"\xff\xfe\xfd",  # neither UTF-8 nor GB18030
    bytes(range(0x81, 0xff)) * 4,  # decodes as GB18030, but only as mojibake
])
def test_undecodable_files_get_a_clear_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_file(write(tmp_path, data))
    assert caught.value.code == "catalog_bad_encoding"
    assert "UTF-8" in caught.value.message and "catalog.csv" in caught.value.message


@pytest.mark.parametrize("cell,code", [
    ("焊工\x07培训班", "U+0007"), ("焊工\x00培训班", "U+0000"), ("焊工\x1b", "U+001B"),
    ("焊工\x7f", "U+007F"), ("焊工\x85", "U+0085"),
])
def test_a_control_character_is_refused_with_line_and_column(tmp_path: Path, cell: str,
                                                            code: str) -> None:
    bad = ROW.replace("JX-001", "JX-002").replace("焊工技能提升培训班", cell)
    parsed = parse_file(write(tmp_path, (HEADER + ROW + bad).encode("utf-8")))
    assert [r.program_id for r in parsed.rows] == ["JX-001"]
    assert [(e.line, e.column) for e in parsed.errors] == [(3, "项目名称")]
    assert code in parsed.errors[0].reason and "控制字符" in parsed.errors[0].reason


def test_line_breaks_and_tabs_in_a_quoted_cell_are_kept(tmp_path: Path) -> None:
    row = ROW.replace("焊工技能提升培训班", '"焊工技能\t提升\r\n培训班"')
    parsed = parse_file(write(tmp_path, (HEADER + row).encode("utf-8")))
    assert parsed.errors == []
    assert parsed.rows[0].title == "焊工技能\t提升\r\n培训班"


def test_unknown_columns_and_json_lines_are_checked_too(tmp_path: Path) -> None:
    good = {"program_id": "JX-001", "title": "焊工班", "occupation": "焊工",
            "provider": "赣州第一技工学校", "province": "江西省", "city": "赣州市",
            "mode": "线下"}
    lines = [good | {"备注": "ok"},
             good | {"program_id": "JX-002", "备注": "a\x01b"},
             good | {"program_id": "JX-003", "target_groups": ["退役军人", "x\ud800"]},
             good | {"program_id": "JX-004", "备\x02注": "ok"}]
    text = "\n".join(json.dumps(item) for item in lines)  # ASCII escapes, as JSON allows
    parsed = parse_file(write(tmp_path, text.encode("utf-8"), "catalog.jsonl"))
    assert [r.program_id for r in parsed.rows] == ["JX-001"]
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "备注"), (3, "target_groups"), (4, "备\\u0002注")]
    assert "U+D800" in parsed.errors[1].reason
    json.dumps([e.to_dict() for e in parsed.errors], ensure_ascii=False).encode("utf-8")


def test_shortage_lists_use_the_same_rule(tmp_path: Path) -> None:
    data = "地区,期别,职业\n赣州市,2024Q1,焊\x03工\n".encode("gb18030")
    parsed = parse_shortage_file(write(tmp_path, data))
    assert parsed.rows == []
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "职业")]
