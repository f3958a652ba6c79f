"""Nothing nearby for what the worker named: a plain notice and the nearest alternatives;
and classes that have started or are full are never offered, in any path."""

from __future__ import annotations

from typing import Any

import pytest

from api.matching import matcher
from corpus.settings import Settings
from matcher.guide import guide
from tests.test_matcher import TODAY, catalog_home, program

NM = {"province": "内蒙古自治区", "city": "包头市", "provider": "包头市职业技能培训中心"}
CATALOG = [
    program("BT-W4", "焊工（四级/中级工）培训", "焊工", "四级", **NM),
    program("BT-W3-OLD", "焊工（三级）已开班", "焊工", "三级", **{**NM, "provider": "包头甲校"},
            start_date="2026-10-01", end_date="2026-12-31"),
    program("BT-W3-FULL", "焊工（三级）满员班", "焊工", "三级", **{**NM, "provider": "包头乙校"},
            capacity="30", enrolled="30"),
    program("BT-W3-LATER", "焊工（三级）六月班", "焊工", "三级", **{**NM, "provider": "包头丙校"},
            start_date="2027-06-01", end_date="2027-08-01", prerequisite="已取得焊工四级证书"),
    program("HH-W3", "焊工（三级）培训（呼和浩特）", "焊工", "三级", province="内蒙古自治区",
            city="呼和浩特市", provider="呼和浩特市职业技能培训中心"),
    program("CF-W3-OLD", "焊工（三级）赤峰班", "焊工", "三级", province="内蒙古自治区",
            city="赤峰市", provider="赤峰市技工学校", start_date="2026-09-01",
            end_date="2026-12-01"),
    program("BT-CARE", "养老护理员（五级）培训", "养老护理员", "五级",
            **{**NM, "provider": "包头丁校"}),
    program("E-ONLINE", "电工（四级）线上培训", "电工", "四级", mode="线上", province="湖北省",
            city="武汉市", provider="武汉线上平台"),
]
BAOTOU = {"province": "内蒙古自治区", "city": "包头市", "age": 22}
STARTED_OR_FULL = {"BT-W3-OLD", "BT-W3-FULL", "CF-W3-OLD"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return catalog_home(tmp_path_factory, "notice-home", CATALOG)


def kinds(result: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in result["alternatives"]:
        out.setdefault(a["kind"], set()).add(a["program_id"])
    return out


def test_nothing_nearby_is_said_with_the_nearest_alternatives(home: Settings) -> None:
    profile = {**BAOTOU, "interests_text": "想考焊工三级", "certificates": []}
    result = matcher(home).match(profile, k=10, today=TODAY)
    assert "包头市目前没有可报名的焊工三级班" in result["notice"]
    found = kinds(result)
    assert found["other_level"] == {"BT-W4"}
    assert found["elsewhere_in_province"] == {"HH-W3"}
    assert found["next_intake"] == {"BT-W3-LATER"}
    later = next(a for a in result["alternatives"] if a["kind"] == "next_intake")
    assert later["via_program_id"] == "BT-W4" and "BT-W4" not in later["why"]
    assert "结业" in later["why"] and "四级/中级工" in later["why"]
    for a in result["alternatives"]:
        assert a["why"] and a["title"] and a["occupation"] == "焊工"
    offered = {a["program_id"] for a in result["alternatives"]} | {
        r["program_id"] for r in result["results"]}
    assert not offered & STARTED_OR_FULL


def test_the_notice_names_the_reason_when_one_covers_every_near_class(home: Settings) -> None:
    profile = {"province": "内蒙古自治区", "city": "赤峰市", "interests_text": "焊工三级"}
    result = matcher(home).match(profile, k=10, today=TODAY)
    assert result["notice"] == "赤峰市目前没有可报名的焊工三级班（附近的班都已开班）。"
    assert "HH-W3" in kinds(result)["elsewhere_in_province"]


def test_no_notice_when_something_near_is_open(home: Settings) -> None:
    holder = {**BAOTOU, "interests_text": "焊工三级",
              "certificates": [{"occupation": "焊工", "level": "四级"}]}
    result = matcher(home).match(holder, k=10, today=TODAY)
    assert result["notice"] is None and result["alternatives"] == []
    assert result["results"][0]["program_id"] == "BT-W3-LATER"
    unnamed = matcher(home).match({**BAOTOU, "skills_text": "会照顾老人"}, k=10, today=TODAY)
    assert unnamed["notice"] is None and unnamed["alternatives"] == []


def test_a_hands_on_trade_with_only_online_classes_is_told(home: Settings) -> None:
    result = matcher(home).match({**BAOTOU, "interests_text": "电工"}, k=10, today=TODAY)
    assert "没有可报名的电工线下班" in result["notice"]
    assert "线上课程只含理论，实操需另行安排" in result["notice"]
    assert result["results"][0]["program_id"] == "E-ONLINE"
    online = matcher(home).match({**BAOTOU, "interests_text": "电工", "mode": "线上"}, k=10,
                                 today=TODAY)
    assert online["notice"] is None


PROFILES = [
    {**BAOTOU, "interests_text": "焊工三级"},
    {**BAOTOU, "interests_text": "焊工", "certificates": [], "travel": "anywhere"},
    {"interests_text": "焊工"},
    {},
]


@pytest.mark.parametrize("profile", PROFILES)
def test_started_or_full_classes_are_never_offered(home: Settings, profile: dict[str, Any]
                                                   ) -> None:
    result = matcher(home).match(profile, k=100, today=TODAY)
    assert not {r["program_id"] for r in result["results"]} & STARTED_OR_FULL
    assert not {a["program_id"] for a in result["alternatives"]} & STARTED_OR_FULL
    steps = guide(matcher(home), profile, k=10, today=TODAY)
    assert not set(steps["top"]) & STARTED_OR_FULL


def test_why_not_explains_started_and_full_classes_and_offers_the_next(home: Settings
                                                                      ) -> None:
    profile = {**BAOTOU, "interests_text": "焊工三级"}
    started = matcher(home).why_not(profile, "BT-W3-OLD", today=TODAY)
    assert started["excluded"] and [r["rule"] for r in started["rules"]] == ["started"]
    reason = started["rules"][0]["reason"]
    assert "2026-10-01" in reason and "不能再报名" in reason and "BT-W3-LATER" in reason
    full = matcher(home).why_not(profile, "BT-W3-FULL", today=TODAY)
    assert [r["rule"] for r in full["rules"]] == ["full"]
    assert "名额已满" in full["rules"][0]["reason"] and "不能再报名" in full["rules"][0]["reason"]
    assert "BT-W3-LATER" in full["rules"][0]["reason"]
    far = matcher(home).why_not(profile, "CF-W3-OLD", today=TODAY)
    assert {r["rule"] for r in far["rules"]} == {"started", "unreachable"}
