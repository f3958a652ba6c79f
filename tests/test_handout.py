"""The counselor's hand-out (``/v1/handout.xlsx`` and ``.html``): built on the server from
program ids, never from program data the browser sends; formulas inert in the workbook;
the page escaped, A4 and self-contained; who, for whom, when, and what it costs."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from corpus.settings import Settings
from tests.case_home import HYPERLINK, JOB_CENTER, KEY, VETERAN, login, make_home

IDS = ["E4", "W5", "EVIL", "YOUNG"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return make_home(tmp_path_factory.mktemp("handout"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def auth(client: TestClient) -> dict[str, str]:
    return login(client, "guwen-a", "counsel-secret-a")


def workbook(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return load_workbook(io.BytesIO(r.content))


def program_rows(book: Any) -> dict[str, dict[str, Any]]:
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def about(book: Any) -> dict[str, Any]:
    return {label: value for label, value in book["说明"].iter_rows(values_only=True)}


def assert_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


# -- built from ids, read from the catalog -------------------------------------------------
def test_a_forged_program_in_the_request_is_refused(client: TestClient, auth: dict) -> None:
    forged = {"program_id": "E4", "title": "免费培训", "fee_yuan": -5}
    for body in ({"profile": VETERAN, "program_ids": ["E4"], "programs": [forged]},
                 {"profile": VETERAN, "program_ids": [forged]}):
        r = client.post("/v1/handout.xlsx", json=body, headers=auth)
        assert_error(r, 422, "invalid_request")


def test_the_old_shortlist_route_that_took_program_data_is_gone(client: TestClient,
                                                                 auth: dict) -> None:
    r = client.post("/v1/shortlist.xlsx", json={"programs": [{"fee_yuan": -5}]}, headers=auth)
    assert r.status_code == 404


def test_fees_and_facts_come_from_the_catalog(client: TestClient, auth: dict) -> None:
    book = workbook(client.post("/v1/handout.xlsx",
                                json={"profile": VETERAN, "program_ids": IDS}, headers=auth))
    rows = program_rows(book)
    assert list(rows) == IDS  # in the order chosen
    e4, w5 = rows["E4"], rows["W5"]
    assert e4["项目名称"] == "电工（四级/中级工）培训" and e4["收费标准（元）"] == 1500
    assert e4["联系方式"] == "0797-8123456"
    assert e4["地址"] == "章贡区红旗大道 88 号实训楼"  # the catalog's extra 培训地点 column
    assert w5["地址"] == "赣州市焊接技术学校（江西省赣州市章贡区）"  # provider and place
    assert "周末班" in e4["上课时间"] and "2027-03-01 至 2027-05-01" in e4["上课时间"]
    assert "200 课时" in e4["上课时间"] and "30 天" in e4["上课时间"]
    assert e4["报名条件"] == "初中及以上文化程度"
    assert "年龄 16–25 岁" in rows["YOUNG"]["报名条件"]
    assert not any(v == -5 for row in rows.values() for v in row.values())


def test_subsidy_status_and_the_estimated_out_of_pocket_cost(client: TestClient,
                                                              auth: dict) -> None:
    rows = program_rows(workbook(client.post(
        "/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": IDS}, headers=auth)))
    # A veteran on a subsidised program: the matcher's rule grants it, so 0 (estimated).
    assert "可享受培训补贴" in rows["E4"]["补贴情况"] and "退役军人保障法" in rows["E4"]["补贴情况"]
    assert rows["E4"]["预计个人支付（元，估算）"] == 0
    assert rows["W5"]["补贴情况"] == "非补贴性培训项目"
    assert rows["W5"]["预计个人支付（元，估算）"] == 2800
    # Someone no rule grants a subsidy pays the fee, even on a subsidised program.
    plain = {"province": "江西省", "city": "赣州市", "age": 30, "interests_text": "电工"}
    rows = program_rows(workbook(client.post(
        "/v1/handout.xlsx", json={"profile": plain, "program_ids": ["E4"]}, headers=auth)))
    assert rows["E4"]["预计个人支付（元，估算）"] == 1500


def test_reasons_and_exclusions_are_the_matchers(client: TestClient, auth: dict) -> None:
    rows = program_rows(workbook(client.post(
        "/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": IDS}, headers=auth)))
    assert "符合您想学的方向：电工" in rows["E4"]["推荐理由"]
    assert isinstance(rows["E4"]["综合评分"], float)
    # 40 years old: the 16–25 class is shown with the rule that excludes it, unscored.
    assert "不符合" in rows["YOUNG"]["注意事项"] and "16–25" in rows["YOUNG"]["注意事项"]
    assert rows["YOUNG"]["综合评分"] is None


def test_the_workbook_says_who_for_whom_and_when(client: TestClient, auth: dict) -> None:
    r = client.post("/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": ["E4"],
                                              "worker_ref": "JX-0042", "as_of": "2026-12-01"},
                    headers=auth)
    book = workbook(r)
    meta = about(book)
    assert meta["劳动者编号"] == "JX-0042" and meta["就业指导员"] == "guwen-a"
    assert meta["就业服务机构"] == JOB_CENTER and meta["日期"] == "2026-12-01"
    assert "估算" in meta["费用说明"]
    header = book.worksheets[0].oddHeader
    assert "JX-0042" in header.left.text and "guwen-a" in header.right.text
    assert "JX-0042" in r.headers["content-disposition"]


# -- nothing runs --------------------------------------------------------------------------
def test_no_cell_of_the_workbook_can_run_as_a_formula(client: TestClient, auth: dict) -> None:
    r = client.post("/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": IDS,
                                              "note": "=1+1 请带身份证原件"}, headers=auth)
    book = workbook(r)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
    evil = program_rows(book)["EVIL"]
    assert evil["项目名称"] == "'" + HYPERLINK  # kept readable, inert
    assert evil["培训机构"].startswith("'@") and evil["联系方式"] == "'+86 797 1234567"
    assert evil["报名条件"] == "'-2+3"
    assert "'=1+1 请带身份证原件" in texts
    bell = client.post("/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": IDS,
                                                 "note": "请带身份证原件\x07"}, headers=auth)
    assert bell.status_code == 422  # a control character is refused before any file is made


def test_the_page_is_escaped_a4_and_self_contained(client: TestClient, auth: dict) -> None:
    r = client.post("/v1/handout.html", json={"profile": VETERAN, "program_ids": IDS,
                                              "note": "<b>周三</b>前报名"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert "@page { size: A4" in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;周三&lt;/b&gt;前报名" in page
    assert not re.search(r"<link|\ssrc=|\shref=|url\(|@import", page)
    for shown in ("未建档", "guwen-a", JOB_CENTER, "章贡区红旗大道 88 号实训楼", "0797-8123456",
                  "周末班", "初中及以上文化程度", "可享受培训补贴", "0 元（估算）", "2,800 元",
                  "符合您想学的方向：电工", "不符合"):
        assert shown in page, shown


def test_the_page_never_shows_name_id_or_phone(client: TestClient, auth: dict) -> None:
    profile = {**VETERAN, "name": "张三", "phone": "13812345678", "id": "360702199001011234"}
    r = client.post("/v1/handout.html", json={"profile": profile, "program_ids": ["E4"]},
                    headers=auth)
    assert r.status_code == 200, r.text
    for secret in ("张三", "13812345678", "360702199001011234"):
        assert secret not in r.text


# -- bad requests --------------------------------------------------------------------------
@pytest.mark.parametrize("body,status,code", [
    ({"profile": VETERAN, "program_ids": ["E4", "NO-SUCH"]}, 404, "program_not_found"),
    ({"profile": VETERAN, "program_ids": [f"F{n:02d}" for n in range(1, 22)]}, 400,
     "too_many_programs"),
    ({"profile": VETERAN, "program_ids": []}, 400, "no_programs"),
    ({"program_ids": ["E4"]}, 400, "profile_or_case"),
    ({"profile": VETERAN, "case_id": 1, "program_ids": ["E4"]}, 400, "profile_or_case"),
    ({"profile": VETERAN, "program_ids": ["E4"], "worker_ref": "360702199001011234"}, 400,
     "personal_worker_ref"),
    ({"profile": {"age": "很老"}, "program_ids": ["E4"]}, 400, "bad_age"),
])
def test_bad_requests_get_a_chinese_error(client: TestClient, auth: dict, body: dict,
                                          status: int, code: str) -> None:
    for path in ("/v1/handout.xlsx", "/v1/handout.html"):
        assert_error(client.post(path, json=body, headers=auth), status, code)


def test_twenty_programs_are_allowed(client: TestClient, auth: dict) -> None:
    ids = [f"F{n:02d}" for n in range(1, 21)]
    rows = program_rows(workbook(client.post(
        "/v1/handout.xlsx", json={"profile": VETERAN, "program_ids": ids}, headers=auth)))
    assert list(rows) == ids


def test_only_counselors_get_a_handout(client: TestClient) -> None:
    body = {"profile": VETERAN, "program_ids": ["E4"]}
    assert_error(client.post("/v1/handout.xlsx", json=body), 401, "auth_required")
    r = client.post("/v1/handout.xlsx", json=body, headers={"X-API-Key": KEY})
    assert r.status_code == 200  # a partner's backend, named as such
    assert about(workbook(r))["就业指导员"] == "合作方：partner"


# -- from a case ---------------------------------------------------------------------------
def test_a_case_gives_its_reference_profile_and_shortlist(client: TestClient, auth: dict,
                                                          tmp_path: Path) -> None:
    r = client.post("/v1/cases", json={"profile": VETERAN, "program_ids": ["W5", "E4"],
                                       "notes": "内部备注：不要打印"}, headers=auth)
    assert r.status_code == 201, r.text
    case = r.json()
    r = client.post("/v1/handout.html", json={"case_id": case["id"]}, headers=auth)
    assert r.status_code == 200, r.text
    assert case["worker_ref"] in r.text and "内部备注" not in r.text
    assert r.text.index("焊工（五级") < r.text.index("电工（四级")  # the case's order
    book = workbook(client.post("/v1/handout.xlsx",
                                json={"case_id": case["id"], "program_ids": ["E4"]},
                                headers=auth))
    assert list(program_rows(book)) == ["E4"]
    assert program_rows(book)["E4"]["预计个人支付（元，估算）"] == 0  # the case's veteran
    assert about(book)["劳动者编号"] == case["worker_ref"]
    other = login(client, "guwen-b", "counsel-secret-b")
    assert_error(client.post("/v1/handout.html", json={"case_id": case["id"]}, headers=other),
                 404, "case_not_found")
    admin = login(client, "admin", "admin-secret-1")
    assert client.post("/v1/handout.html", json={"case_id": case["id"]},
                       headers=admin).status_code == 200
