"""Local first: the worker's city, then the province, then elsewhere; online out-of-province
classes lead only when the worker asked for online study or nothing near exists; online
classes in hands-on trades say they are theory only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.matching import matcher
from corpus.settings import Settings
from matcher import hands_on
from matcher.reference import classification
from tests.test_matcher import TODAY, catalog_home, program

THEORY_ONLY = "线上课程只含理论，实操需另行安排"
STRONG = {"brand_level": "国家级", "trained_last_year": "500", "employment_rate": "98%",
          "pass_rate": "98%"}
WEAK = {"trained_last_year": "40", "employment_rate": "40%", "pass_rate": "50%",
        "subsidized": "否", "fee_yuan": "3000"}
CATALOG = [
    program("E-LOCAL", "电工（四级）培训（赣州）", "电工", "四级", provider="赣州甲校", **WEAK),
    program("E-PROV", "电工（四级）培训（南昌）", "电工", "四级", city="南昌市",
            provider="南昌乙校"),
    program("E-ONLINE", "电工（四级）线上培训", "电工", "四级", mode="线上", province="湖北省",
            city="武汉市", provider="武汉线上平台", **STRONG),
    program("M-ONLINE", "互联网营销师（五级）线上培训", "互联网营销师", "五级", mode="线上",
            province="湖北省", city="武汉市", provider="武汉线上平台"),
    program("C-LOCAL", "养老护理员（五级）培训", "养老护理员", "五级", provider="赣州丙校", **WEAK),
    program("C-ONLINE", "养老护理员（五级）线上培训", "养老护理员", "五级", mode="线上",
            province="湖北省", city="武汉市", provider="武汉线上平台", **STRONG),
]
GANZHOU = {"province": "江西省", "city": "赣州市", "age": 30}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return catalog_home(tmp_path_factory, "locality-home", CATALOG)


def ids(result: dict[str, Any]) -> list[str]:
    return [r["program_id"] for r in result["results"]]


def test_local_then_province_then_elsewhere(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "电工", "travel": "anywhere"},
                                 k=10, today=TODAY)
    order = [i for i in ids(result) if i.startswith("E-")]
    assert order == ["E-LOCAL", "E-PROV", "E-ONLINE"]
    scores = {r["program_id"]: r["score"] for r in result["results"]}
    assert scores["E-ONLINE"] > scores["E-LOCAL"]  # the score alone would put it first
    assert [r["locality"] for r in result["results"][:3]] == ["local", "province", "elsewhere"]


def test_an_online_class_leads_when_the_worker_asked_for_online_study(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "电工", "mode": "线上"}, k=10,
                                 today=TODAY)
    assert ids(result)[0] == "E-ONLINE"


def test_an_online_class_leads_when_nothing_near_exists_for_the_interest(home: Settings
                                                                         ) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "想学直播带货"}, k=10,
                                 today=TODAY)
    assert ids(result)[0] == "M-ONLINE"
    assert ids(result).index("C-LOCAL") > 0


def test_without_an_interest_near_programs_come_first(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "skills_text": "照顾过卧床的老人"}, k=10,
                                 today=TODAY)
    assert ids(result).index("C-LOCAL") < ids(result).index("C-ONLINE")


def test_online_classes_in_hands_on_trades_are_theory_only(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "travel": "anywhere"}, k=10, today=TODAY)
    reasons = {r["program_id"]: r["reasons"] for r in result["results"]}
    for pid in ("E-ONLINE", "C-ONLINE"):  # 电工, 养老护理员: done with hands
        assert any(THEORY_ONLY in reason for reason in reasons[pid]), pid
        assert "线上培训，不受地点限制" not in reasons[pid]
    assert "线上培训，不受地点限制" in reasons["M-ONLINE"]  # selling online is the trade
    assert not any(THEORY_ONLY in reason for reason in reasons["M-ONLINE"])


@pytest.mark.parametrize(("name", "expected"), [
    ("焊工", True), ("电工", True), ("车工", True), ("汽车维修工", True), ("美发师", True),
    ("中式烹调师", True), ("养老护理员", True), ("互联网营销师", False), ("电子商务师", False),
    ("呼叫中心服务员", False), ("食品安全管理师", False),
])
def test_the_hands_on_set_comes_from_the_classification(name: str, expected: bool) -> None:
    code = classification().find(name).code  # type: ignore[union-attr]
    assert hands_on.is_hands_on(code) is expected


def test_the_hands_on_file_is_validated_against_the_classification(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "hands_on.yaml"
    text = hands_on.DATA.read_text(encoding="utf-8")
    bad.write_text(text.replace("4-10-03-00: 美容美发和浴池服务人员", "4-10-03-00: 美发"),
                   encoding="utf-8")
    monkeypatch.setattr(hands_on, "DATA", bad)
    hands_on.hands_on_codes.cache_clear()
    try:
        with pytest.raises(ValueError, match="4-10-03-00"):
            hands_on.hands_on_codes()
    finally:
        hands_on.hands_on_codes.cache_clear()
