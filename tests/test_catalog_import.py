"""Catalog and shortage-list imports as a job center runs them: real files (CSV with and
without BOM, XLSX, JSON lines) into a real home, all-or-nothing, bad rows named by line."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from api.cli import app, main
from corpus.errors import InvalidInput, JntError
from corpus.settings import Settings, get_settings
from matcher.catalog import (
    catalog_version,
    count_programs,
    import_catalog,
    import_shortage,
    list_programs,
)
from matcher.catalog_format import FIELDS, parse_row

ROWS = 10_000
PLACES = [("江西省", "赣州市", "于都县"), ("江西", "南昌市", ""),
          ("江西省人社厅", "吉安市", "井冈山市"),
          ("内蒙古自治区", "呼和浩特市", "赛罕区"), ("内蒙古", "鄂尔多斯市", "达拉特旗"),
          ("北京市", "北京市", "朝阳区"), ("吉林省", "长春市", "朝阳区")]
OCCUPATIONS = [("焊工", "6-18-02-04"), ("电工", "6-31-01-03"), ("养老护理员", "4-10-01-05"),
               ("中式烹调师", "4-03-02-01"), ("电子商务师", "4-01-06-01")]
LEVELS = ["四级/中级工", "中级工", "四级", "五级/初级工", "高级工", "专项职业能力"]
RATES = ["92%", "92", "0.92", "88.5%", "0.5"]
DATES = ["2026-03-01", "2026/3/1", "2026年3月1日"]
HEADERS = ["program_id", "title", "occupation", "occupation_code", "level", "certificate",
           "provider", "provider_type", "province", "city", "county", "mode", "hours", "days",
           "fee_yuan", "subsidized", "target_groups", "brand_level", "trained_last_year",
           "pass_rate", "employment_rate", "order_based_ratio", "start_date", "end_date",
           "capacity", "enrolled", "min_age", "max_age", "contact", "备注"]
VOLATILE = ("updated_at", "source", "is_sample")


def program(i: int) -> dict[str, str]:
    province, city, county = PLACES[i % len(PLACES)]
    occupation, code = OCCUPATIONS[i % len(OCCUPATIONS)]
    return {
        "program_id": f"JX-{i:05d}", "title": f"{occupation}技能提升培训班（第{i}期）",
        "occupation": occupation, "occupation_code": code if i % 2 else "",
        "level": LEVELS[i % len(LEVELS)], "certificate": "职业技能等级证书",
        "provider": f"{city}第{i % 9 + 1}技工学校", "provider_type": "技工院校",
        "province": province, "city": city, "county": county,
        "mode": ("线下", "线上", "线上线下结合")[i % 3], "hours": str(80 + i % 100),
        "days": str(10 + i % 20), "fee_yuan": "2400", "subsidized": ("是", "否", "Y", "1")[i % 4],
        "target_groups": "农村转移劳动力；退役军人、高校毕业生",
        "brand_level": ("国家级", "省级（自治区级）", "市级", "县级（旗县级）", "无")[i % 5],
        "trained_last_year": "300", "pass_rate": RATES[i % len(RATES)], "employment_rate": "0.85",
        "order_based_ratio": "30%", "start_date": DATES[i % len(DATES)], "end_date": "2026-06-30",
        "capacity": "40", "enrolled": str(i % 41), "min_age": "16", "max_age": "60",
        "contact": "0797-6221234", "备注": f"第{i % 7 + 1}批",
    }


def _set(**values: str) -> Callable[[dict[str, str]], None]:
    return lambda row: row.update(values)


# (defect, the column it must be reported under)
DEFECTS: list[tuple[Callable[[dict[str, str]], None], str]] = [
    (_set(title=""), "title"),
    (_set(level="七级"), "level"),
    (_set(pass_rate="120%"), "pass_rate"),
    (_set(start_date="2026-03-01", end_date="2026-01-15"), "end_date"),
    (_set(min_age="60", max_age="18"), "min_age"),
    (_set(hours="-5"), "hours"),
    (_set(max_age="85"), "max_age"),
    (_set(program_id="JX-00000"), "program_id"),
    (_set(province="火星省"), "province"),
    (_set(province="内蒙古自治区", city="赣州市", county=""), "city"),
    (_set(occupation_code="6-18-2-4"), "occupation_code"),
    (_set(mode="函授"), "mode"),
    (_set(start_date="2026-02-30"), "start_date"),
    (_set(subsidized="也许"), "subsidized"),
    (_set(certificate="金牌证书"), "certificate"),
    (_set(employment_rate="150"), "employment_rate"),
    (_set(province="江西省", city="南昌市", county="于都县"), "county"),
    (_set(provider=""), "provider"),
    (_set(capacity="四十"), "capacity"),
]


class Catalog:
    """10,000 programs, exactly 1 % of them bad in varied ways at known lines."""

    def __init__(self) -> None:
        self.rows = [program(i) for i in range(ROWS)]
        bad = random.Random(7).sample(range(1, ROWS), ROWS // 100)  # row 0 stays good
        self.columns: dict[int, str] = {}
        for n, index in enumerate(sorted(bad)):
            defect, column = DEFECTS[n % len(DEFECTS)]
            defect(self.rows[index])
            self.columns[index + 2] = column  # header is line 1
        self.bad_lines = set(self.columns)


def write_csv(path: Path, rows: list[dict[str, str]], headers: list[str] | None = None,
              *, bom: bool = False, names: dict[str, str] | None = None) -> Path:
    headers = headers or HEADERS
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([(names or {}).get(h, h) for h in headers])
        writer.writerows([row.get(h, "") for h in headers] for row in rows)
    return path


def _excel(key: str, value: str) -> Any:
    """What Excel itself stores: numbers as numbers, ISO dates as dates."""
    if value.isdigit() and key not in ("program_id", "subsidized"):
        return int(value)
    if key in ("start_date", "end_date") and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value or None


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("项目目录")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([_excel(h, row[h]) for h in HEADERS])
    book.create_sheet("说明").append(["第二个工作表不导入"])
    book.save(path)
    return path


def stored(settings: Settings) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k not in VOLATILE}
            for p in list_programs(settings, None)]


def refused(settings: Settings, path: Path, **options: Any) -> dict[str, Any]:
    with pytest.raises(InvalidInput) as info:
        import_catalog(settings, path, **options)
    assert info.value.code == "catalog_invalid"
    return info.value.detail


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture(scope="module")
def catalog_csv(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("catalog") / "jx_programs.csv", catalog.rows)


@pytest.fixture(scope="module")
def imported_csv(catalog_csv: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> list[dict[str, Any]]:
    settings = Settings(home=tmp_path_factory.mktemp("csv-home"))
    import_catalog(settings, catalog_csv, skip_bad_rows=True)
    return stored(settings)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture()
def db_settings(tmp_path: Path, database_url: str | None) -> Settings:
    """A fresh home on SQLite, and again on PostgreSQL (tests/postgres.py)."""
    return Settings(home=tmp_path / "home", database_url=database_url)


# -- 10,000 rows, 1 % bad --------------------------------------------------------------


def test_bad_rows_are_named_by_line_and_nothing_is_written(
        catalog: Catalog, catalog_csv: Path, settings: Settings) -> None:
    detail = refused(settings, catalog_csv)
    assert {e["line"] for e in detail["errors"]} == catalog.bad_lines
    assert detail["rows"] == ROWS and detail["skipped"] == 100 and detail["imported"] == 0
    for line, column in catalog.columns.items():
        assert column in {e["column"] for e in detail["errors"] if e["line"] == line}, line
    assert all(e["reason"] for e in detail["errors"])
    assert count_programs(settings) == 0


def test_a_refused_file_leaves_the_earlier_catalog_exactly_as_it_was(
        catalog_csv: Path, db_settings: Settings, tmp_path: Path) -> None:
    earlier = [program(i) | {"title": f"旧项目{i}"} for i in range(50)]  # ids the bad file reuses
    import_catalog(db_settings, write_csv(tmp_path / "earlier.csv", earlier))
    before, version = stored(db_settings), catalog_version(db_settings)
    refused(db_settings, catalog_csv)
    assert stored(db_settings) == before
    assert catalog_version(db_settings) == version
    assert count_programs(db_settings) == 50


def test_a_write_failing_half_way_leaves_the_catalog_as_it_was(
        db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matcher.catalog

    import_catalog(db_settings, write_csv(tmp_path / "a.csv", [program(i) for i in range(30)]))
    before, version = stored(db_settings), catalog_version(db_settings)

    def broken_insert(*_: Any) -> Any:  # the re-imported ids are already deleted by now
        raise RuntimeError("disk full")

    monkeypatch.setattr(matcher.catalog, "insert", broken_insert)
    changed = [program(i) | {"title": "新名称"} for i in range(10, 40)]
    with pytest.raises(RuntimeError):
        import_catalog(db_settings, write_csv(tmp_path / "b.csv", changed))
    assert stored(db_settings) == before and catalog_version(db_settings) == version


def test_skip_bad_rows_imports_the_other_9900(catalog: Catalog, catalog_csv: Path,
                                               db_settings: Settings) -> None:
    report = import_catalog(db_settings, catalog_csv, skip_bad_rows=True)
    assert (report.imported, report.created, report.skipped) == (9_900, 9_900, 100)
    assert {e["line"] for e in report.errors} == catalog.bad_lines
    assert count_programs(db_settings) == 9_900
    ids = {p["program_id"] for p in list_programs(db_settings, None)}
    assert ids == {f"JX-{line - 2:05d}" for line in range(2, ROWS + 2)
                   if line not in catalog.bad_lines}


def test_xlsx_stores_the_same_rows_as_csv(catalog: Catalog, imported_csv: list[dict[str, Any]],
                                          settings: Settings, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "jx_programs.xlsx", catalog.rows)
    report = import_catalog(settings, path, skip_bad_rows=True)
    assert {e["line"] for e in report.errors} == catalog.bad_lines
    assert stored(settings) == imported_csv


def test_chinese_headers_in_shuffled_order_store_the_same_rows(
        catalog: Catalog, imported_csv: list[dict[str, Any]], settings: Settings,
        tmp_path: Path) -> None:
    headers = HEADERS[:]
    random.Random(3).shuffle(headers)
    names = {key: zh for key, (zh, _) in FIELDS.items()} | {"fee_yuan": " 收费标准(元) "}
    path = write_csv(tmp_path / "两目录.csv", catalog.rows, headers, names=names, bom=True)
    detail = refused(settings, path)
    assert {e["line"] for e in detail["errors"]} == catalog.bad_lines
    assert {e["column"] for e in detail["errors"] if e["line"] == min(catalog.bad_lines)} \
        <= set(FIELDS[k][0] for k in FIELDS)
    import_catalog(settings, path, skip_bad_rows=True)
    assert stored(settings) == imported_csv


# -- formats -----------------------------------------------------------------------------


def test_jsonl_with_english_or_chinese_keys(settings: Settings, tmp_path: Path) -> None:
    lines = [
        json.dumps({"program_id": "NM-1", "title": "焊工培训", "occupation": "焊工",
                    "provider": "呼和浩特市技工学校", "province": "内蒙古", "city": "呼和浩特市",
                    "county": "新城区", "mode": "线下", "hours": 120, "pass_rate": 0.92,
                    "subsidized": True, "target_groups": ["退役军人", "农牧民"],
                    "brand_level": "自治区级", "说明": {"批次": 2}}, ensure_ascii=False),
        json.dumps({"项目编号": "NM-2", "项目名称": "电工培训", "职业（工种）": "电工",
                    "培训机构": "鄂尔多斯市职业技能培训学校", "省份": "内蒙古自治区人社厅",
                    "城市": "鄂尔多斯", "区县": "达拉特旗", "培训方式": "线上线下",
                    "培训合格率": "95%"}, ensure_ascii=False),
        "",
        '{"program_id": "NM-3", "title": ',
        '["not", "an", "object"]',
        json.dumps({"项目编号": "NM-4", "项目名称": "无职业"}, ensure_ascii=False),
    ]
    path = tmp_path / "nm.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    detail = refused(settings, path)
    assert {e["line"] for e in detail["errors"]} == {4, 5, 6}
    missing = {e["column"] for e in detail["errors"] if e["line"] == 6}
    assert missing == {"职业（工种）", "培训机构", "省份", "培训方式"}  # the row's own style
    import_catalog(settings, path, skip_bad_rows=True)
    first, second = list_programs(settings, None)
    assert (first["province"], first["city"], first["county"]) == (
        "内蒙古自治区", "呼和浩特市", "新城区")
    assert first["target_groups"] == ["退役军人", "农牧民"] and first["subsidized"] is True
    assert (first["hours"], first["pass_rate"], first["brand_level"]) == (120, 92.0, "省级")
    assert first["extra"] == {"说明": {"批次": 2}}
    assert (second["province"], second["city"], second["mode"]) == ("内蒙古自治区", "鄂尔多斯市",
                                                                    "线上线下结合")
    assert second["occupation_code"] == "6-31-01-03" and second["pass_rate"] == 95.0


def test_bom_csv_with_spaced_and_full_width_headers(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff 项目编号 ,项目名称,职业（工种）,培训机构,省份,培训方式,"
                     "收费标准（元）\r\n"
                     "GZ-1,焊工（中级）培训班,焊工,于都县技工学校,江西,线下,\"1,800\"\r\n"
                     .encode("utf-8"))
    report = import_catalog(settings, path)
    assert (report.rows, report.imported) == (1, 1)
    (row,) = list_programs(settings, None)
    assert row["program_id"] == "GZ-1" and row["extra"] == {}
    assert (row["province"], row["fee_yuan"], row["occupation_code"]) == ("江西省", 1800.0,
                                                                         "6-18-02-04")


def test_reimport_updates_rows_and_the_version(db_settings: Settings, tmp_path: Path) -> None:
    rows = [program(i) for i in range(20)]
    import_catalog(db_settings, write_csv(tmp_path / "a.csv", rows))
    version = catalog_version(db_settings)
    rows[3]["title"], rows[3]["pass_rate"] = "焊工（高级）培训班", "97%"
    added = program(20)
    report = import_catalog(db_settings, write_csv(tmp_path / "b.csv", [rows[3], added]))
    assert (report.created, report.updated, report.imported) == (1, 1, 2)
    assert count_programs(db_settings) == 21
    changed = {p["program_id"]: p for p in list_programs(db_settings, None)}["JX-00003"]
    assert (changed["title"], changed["pass_rate"], changed["source"]) == (
        "焊工（高级）培训班", 97.0, "b.csv")
    assert catalog_version(db_settings) != version


def test_unknown_columns_are_kept_in_extra(db_settings: Settings, tmp_path: Path) -> None:
    rows = [program(1) | {"备注": "需自带劳保用品", "补贴标准（元/人）": "1200"}]
    path = write_csv(tmp_path / "x.csv", rows, [*HEADERS, "补贴标准（元/人）"])
    import_catalog(db_settings, path, is_sample=True)
    (row,) = list_programs(db_settings, None)
    assert row["extra"] == {"备注": "需自带劳保用品", "补贴标准（元/人）": "1200"}
    assert row["is_sample"] is True and row["source"] == "x.csv"


def test_structural_problems_are_refused_with_their_own_codes(settings: Settings,
                                                               tmp_path: Path) -> None:
    cases = {
        "no_mode.csv": ("项目编号,项目名称,职业（工种）,培训机构,省份\nA,b,焊工,c,江西\n",
                        "catalog_missing_columns"),
        "twice.csv": ("program_id,项目编号,title,occupation,provider,province,mode\n",
                      "catalog_bad_header"),
        "old.xls": ("", "catalog_unsupported_format"),
        "broken.xlsx": ("不是 Excel", "catalog_unreadable"),
        "empty.csv": (",".join(HEADERS) + "\n\n", "catalog_empty"),
    }
    for name, (text, code) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(JntError) as info:
            import_catalog(settings, tmp_path / name)
        assert info.value.code == code, name
    assert count_programs(settings) == 0


def test_shifted_csv_row_is_reported(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "shift.csv"
    path.write_text("program_id,title,occupation,provider,province,mode\n"
                    "A,焊工,电工培训,焊工,某校,江西省,线下\n"
                    "B,电工培训,电工,某校,江西省,线下\n", encoding="utf-8")
    detail = refused(settings, path)
    assert [e["line"] for e in detail["errors"]] == [2]


# -- values ------------------------------------------------------------------------------

BASE = {"program_id": "T-1", "title": "培训", "occupation": "焊工", "provider": "某技工学校",
        "province": "江西省", "mode": "线下"}


def parsed(**values: Any) -> Any:
    row, errors = parse_row(BASE | values, 7)
    assert not errors, errors
    return row


def reasons(**values: Any) -> dict[str, str]:
    row, errors = parse_row(BASE | values, 7)
    assert row is None and {e.line for e in errors} == {7}
    return {e.column: e.reason for e in errors}


@pytest.mark.parametrize("text,level", [
    ("四级/中级工", "四级"), ("中级工", "四级"), ("四级", "四级"), ("四级／中级工", "四级"),
    ("五级/初级工", "五级"), ("初级工", "五级"), ("三级/高级工", "三级"), ("技师", "二级"),
    ("一级/高级技师", "一级"), ("专项职业能力", "专项职业能力"), ("不分级", "不分级")])
def test_paired_level_names(text: str, level: str) -> None:
    assert parsed(level=text).level == level


@pytest.mark.parametrize("text,value", [
    ("92%", 92.0), ("92", 92.0), ("0.92", 92.0), ("９２％", 92.0), (0.92, 92.0), (92, 92.0),
    ("88.5%", 88.5), ("100", 100.0), ("1", 100.0), ("0.5%", 0.5), ("0", 0.0)])
def test_percent_forms(text: Any, value: float) -> None:
    assert parsed(pass_rate=text).pass_rate == value


@pytest.mark.parametrize("text", ["120%", "101", "-5%", "九成"])
def test_bad_percents(text: str) -> None:
    assert set(reasons(employment_rate=text)) == {"employment_rate"}


@pytest.mark.parametrize("text", ["2026-03-01", "2026/3/1", "2026年3月1日", "2026.03.01",
                                  "2026-03-01 00:00:00"])
def test_date_forms(text: str) -> None:
    assert parsed(start_date=text).start_date == dt.date(2026, 3, 1)


@pytest.mark.parametrize("text,value", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("true", True), ("FALSE", False),
    ("1", True), ("0", False)])
def test_bool_forms(text: str, value: bool) -> None:
    assert parsed(subsidized=text).subsidized is value


def test_numbers_lists_and_enums() -> None:
    row = parsed(hours="120课时", fee_yuan="1,800.50元", capacity="40人",
                 target_groups="农村转移劳动力; 退役军人；脱贫人口、高校毕业生,失业人员",
                 certificate="1+x职业技能等级证书", provider_type="技工院校",
                 brand_level="县级（旗县级）", mode="网上")
    assert (row.hours, row.fee_yuan, row.capacity) == (120, 1800.5, 40)
    # read into the profile's vocabulary, so the matcher compares like with like
    assert row.target_groups == [
        "农民工", "退役军人", "脱贫劳动力", "高校毕业生", "城镇登记失业人员"]
    assert parsed(target_groups="退伍军人、家政从业人员").target_groups == [
        "退役军人", "家政从业人员"]
    assert (row.certificate, row.provider_type, row.brand_level, row.mode) == (
        "1+X职业技能等级证书", "技工院校", "县级", "线上")
    assert parsed().target_groups == [] and parsed().brand_level is None


@pytest.mark.parametrize("text", ["江西省人社厅", "江西", "江西省", "江西省人力资源和社会保障厅"])
def test_province_forms(text: str) -> None:
    row = parsed(province=text, city="赣州", county="于都县")
    assert (row.province, row.city, row.county) == ("江西省", "赣州市", "于都县")


def test_region_errors() -> None:
    assert set(reasons(province="内蒙古自治区", city="赣州市")) == {"city"}
    assert "不在内蒙古自治区" in reasons(province="内蒙古自治区", city="赣州市")["city"]
    assert "区县" in reasons(province="江西省", city="于都县")["city"]
    assert set(reasons(province="江西省", city="赣州市", county="赛罕区")) == {"county"}
    assert set(reasons(province="赣州市")) == {"province"}
    assert set(reasons(province="火星")) == {"province"}
    # County names repeat across China: 朝阳区 is found under the city the row names.
    assert parsed(province="吉林省", city="长春市", county="朝阳区").county == "朝阳区"
    assert parsed(province="北京", city="北京市", county="朝阳区").city == "北京市"


def test_occupation_codes() -> None:
    assert parsed().occupation_code == "6-18-02-04"
    assert parsed(occupation="电焊工").occupation_code is None  # unknown name: kept, no code
    assert parsed(occupation_code="6-31-01-03").occupation_code == "6-31-01-03"
    assert set(reasons(occupation_code="61802")) == {"occupation_code"}


def test_row_rules() -> None:
    assert set(reasons(start_date="2026-05-01", end_date="2026-04-30")) == {"end_date"}
    assert set(reasons(min_age="50", max_age="45")) == {"min_age"}
    assert set(reasons(min_age="13")) == {"min_age"}
    assert set(reasons(max_age="81")) == {"max_age"}
    assert set(reasons(days="-1")) == {"days"}
    assert set(reasons(hours="3.5")) == {"hours"}
    assert set(reasons(title="  ")) == {"title"}
    assert set(reasons(level="七级", mode="函授")) == {"level", "mode"}
    assert parsed(min_age="14", max_age="80").max_age == 80


# -- shortage lists ----------------------------------------------------------------------

SHORTAGE = ("region,period,occupation,occupation_code,rank,source\n"
            "全国,2022Q3,营销员,,1,人社部2022年第三季度全国“最缺工”的100个职业排行\n"
            "全国,2022Q3,车工,6-18-01-01,2,人社部2022年第三季度全国“最缺工”的100个职业排行\n"
            "江西省人社厅,2024,焊工,,,江西省紧缺职业（工种）目录\n"
            "赣州,2024,电工,,,\n")


def test_shortage_import_resolves_codes_and_replaces_a_list(db_settings: Settings,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "shortage.csv"
    path.write_text(SHORTAGE, encoding="utf-8")
    version = catalog_version(db_settings)
    report = import_shortage(db_settings, path)
    assert (report.imported, report.replaced) == (4, 0)
    assert {(x["region"], x["period"], x["entries"]) for x in report.lists} == {
        ("全国", "2022Q3", 2), ("江西省", "2024", 1), ("赣州市", "2024", 1)}
    assert catalog_version(db_settings) != version
    path.write_text(SHORTAGE.splitlines()[0] + "\n全国,2022Q3,焊工,,1,\n", encoding="utf-8")
    report = import_shortage(db_settings, path)
    assert (report.imported, report.replaced) == (1, 2)

    from matcher.catalog import sessions
    from matcher.db import ShortageEntry

    with sessions(db_settings)() as session:
        entries = {(e.region, e.period, e.occupation, e.occupation_code)
                   for e in session.query(ShortageEntry)}
    assert entries == {("全国", "2022Q3", "焊工", "6-18-02-04"),
                       ("江西省", "2024", "焊工", "6-18-02-04"),
                       ("赣州市", "2024", "电工", "6-31-01-03")}


def test_bad_shortage_rows_are_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(SHORTAGE + "于都县,2024,焊工,,,\n火星,2024,焊工,,,\n江西省,去年,焊工,,,\n"
                    "江西省,2024,焊工,,,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        import_shortage(settings, path)
    assert info.value.code == "shortage_invalid"
    assert {e["line"] for e in info.value.detail["errors"]} == {6, 7, 8, 9}


# -- command line ------------------------------------------------------------------------


@pytest.fixture()
def cli_home(tmp_path: Path) -> Iterator[Path]:
    """A home for ``jnt`` in this process: the settings cache and root logging restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    get_settings.cache_clear()
    yield tmp_path / "cli-home"
    get_settings.cache_clear()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def run_main(home: Path, *args: str) -> tuple[int, str, str]:
    """``jnt`` exactly as the console script runs it (``main()`` turns errors into exit 2)."""
    runner = CliRunner()
    saved = sys.argv
    with runner.isolation(env={"JNT_HOME": str(home)}) as (out, err, _):
        sys.argv = ["jnt", *args]
        get_settings.cache_clear()  # a new process reads JNT_HOME afresh
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            sys.argv = saved
            get_settings.cache_clear()
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_cli_catalog_import_and_list(cli_home: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [program(i) for i in range(3)])
    runner = CliRunner()
    env = {"JNT_HOME": str(cli_home)}
    result = runner.invoke(app, ["catalog", "import", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 3
    result = runner.invoke(app, ["catalog", "list", "--json", "--limit", "2"], env=env)
    assert [p["program_id"] for p in json.loads(result.stdout)] == ["JX-00000", "JX-00001"]
    result = runner.invoke(app, ["catalog", "list"], env=env)
    assert "JX-00002\t江西省吉安市井冈山市\t养老护理员" in result.stdout


def test_cli_bad_catalog_exits_2_with_a_code(cli_home: Path, tmp_path: Path) -> None:
    rows = [program(0), program(1) | {"level": "七级"}]
    path = write_csv(tmp_path / "bad.csv", rows)
    code, out, err = run_main(cli_home, "catalog", "import", str(path), "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "catalog_invalid"
    assert error["detail"]["errors"][0] == {"line": 3, "column": "level",
                                            "reason": error["detail"]["errors"][0]["reason"]}
    assert "七级" in error["message"] and "Traceback" not in err
    code, out, _ = run_main(cli_home, "catalog", "import", str(path), "--skip-bad-rows", "--json")
    assert code == 0 and json.loads(out)["skipped"] == 1
    assert count_programs(Settings(home=cli_home)) == 1


def test_cli_shortage_import(cli_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "shortage.csv"
    path.write_text(SHORTAGE, encoding="utf-8")
    result = CliRunner().invoke(app, ["shortage", "import", str(path), "--json"],
                                env={"JNT_HOME": str(cli_home)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 4
    code, out, _ = run_main(cli_home, "shortage", "import", str(tmp_path / "none.csv"), "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "file_not_found"
