"""Enterability: every program is yes / confirm / no for a worker, read from its 报名条件
(routes, occupations, levels, schooling, experience) — on a small catalog imported the
normal way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.matching import matcher
from corpus.domain.profile import parse_profile
from corpus.settings import Settings
from matcher import enterability
from matcher.prerequisites import read
from matcher.ranking import occupation_code
from tests.test_matcher import TODAY, catalog_home, program

WELDER, ELECTRICIAN = "6-18-02-04", "6-31-01-03"
NATIONAL_WORDING = ("具备以下条件之一：（1）取得本职业四级/中级工证书后，"
                    "累计从事本职业工作4年以上；（2）取得技工学校本专业毕业证书；"
                    "（3）累计从事本职业工作8年以上")
STRONG = {"brand_level": "国家级", "trained_last_year": "500", "employment_rate": "98%",
          "pass_rate": "98%"}
CATALOG = [
    program("W4", "焊工（四级/中级工）培训", "焊工", "四级", employment_rate="50%"),
    program("W5", "焊工（五级/初级工）培训", "焊工", "五级", employment_rate="50%"),
    # Strong on every factor, so only enterability can put it below W4/W5.
    program("W3-OWN", "焊工（三级/高级工）培训", "焊工", "三级", provider="甲校",
            prerequisite="已取得四级/中级工证书", **STRONG),
    program("W3-NAMED", "焊工（三级）培训（乙校）", "焊工", "三级", provider="乙校",
            prerequisite="已取得焊工四级证书", **STRONG),
    program("W3-ELEC", "焊工（三级）培训（丙校）", "焊工", "三级", provider="丙校",
            prerequisite="已取得电工四级证书"),
    program("W3-NATIONAL", "焊工（三级）培训（丁校）", "焊工", "三级", provider="丁校",
            prerequisite=NATIONAL_WORDING),
    program("E3", "电工（三级/高级工）培训", "电工", "三级", prerequisite="已取得四级/中级工证书"),
    program("E4", "电工（四级/中级工）培训", "电工", "四级"),
    program("PC", "计算机操作培训", "计算机程序设计员", "五级", prerequisite="需有一定电脑基础"),
    program("SCHOOL", "养老护理员（五级）培训", "养老护理员", "五级",
            prerequisite="初中及以上学历"),
]
GANZHOU = {"province": "江西省", "city": "赣州市", "age": 30}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return catalog_home(tmp_path_factory, "enterability-home", CATALOG)


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["program_id"]: r for r in result["results"]}


def statuses(home: Settings, profile: dict[str, Any]) -> dict[str, str]:
    """Every program's status, from why-not (which answers for excluded programs too)."""
    return {row["program_id"]: matcher(home).why_not(profile, row["program_id"],
                                                     today=TODAY)["enterable"]
            for row in CATALOG}


# ------------------------------------------------------------------------------ reading

@pytest.mark.parametrize(("text", "expected"), [
    ("已取得四级/中级工证书", [(True, None, 1, False, False)]),
    ("已取得焊工四级证书", [(True, WELDER, 1, False, False)]),
    ("持有电工四级（中级工）及以上职业资格证书", [(True, ELECTRICIAN, 1, False, False)]),
    ("已取得本职业（工种）四级/中级工及以上职业资格证书或职业技能等级证书",
     [(True, None, 1, False, False)]),
    ("取得本职业五级/初级工证书后，累计从事本职业工作4年以上", [(True, None, 0, False, True)]),
    ("具有本职业或相关职业四级证书", [(True, None, 1, True, False)]),
    ("已取得电工或焊工四级证书", [(True, ELECTRICIAN, 1, False, False),
                          (True, WELDER, 1, False, False)]),
    ("初中及以上学历", [(False, None, None, False, False)]),
])
def test_a_prerequisite_is_read_into_routes(text: str, expected: list[tuple[Any, ...]]
                                            ) -> None:
    routes = read(text).routes
    got = [(r.certificate, r.occupation_code, r.rank, r.related, r.experience or bool(r.unread))
           for r in routes]
    assert got == expected


def test_routes_schooling_age_and_what_cannot_be_read() -> None:
    national = read(NATIONAL_WORDING).routes
    assert len(national) == 3 and national[0].rank == 1 and national[0].experience
    assert national[2].experience and not national[2].certificate
    assert read("初中以上文化程度，年龄16-45周岁").routes[0].min_age == 16
    assert read("初中以上文化程度，年龄16-45周岁").routes[0].max_age == 45
    assert read("需有一定电脑基础").routes[0].unread == "有一定电脑基础"
    for nothing in ("", "无", "不限", "持本人身份证报名"):
        assert read(nothing).routes == ()


# --------------------------------------------------------------------------- statuses

def test_no_certificates_excludes_programs_that_need_one(home: Settings) -> None:
    profile = {**GANZHOU, "interests_text": "焊工", "certificates": []}
    got = statuses(home, profile)
    assert got["W3-OWN"] == got["W3-NAMED"] == got["W3-ELEC"] == got["E3"] == "no"
    assert got["W4"] == got["E4"] == "yes"
    # The national wording has a route without a certificate (8 years' work): confirm.
    assert got["W3-NATIONAL"] == "confirm"
    result = matcher(home).match(profile, k=20, today=TODAY)
    assert not {"W3-OWN", "W3-NAMED", "W3-ELEC", "E3"} & set(by_id(result))
    why = matcher(home).why_not(profile, "W3-NAMED", today=TODAY)
    assert [r["rule"] for r in why["rules"]] == ["prerequisite"]
    assert "焊工四级/中级工" in why["rules"][0]["reason"] and "没有" in why["rules"][0]["reason"]


def test_a_certificate_in_another_occupation_does_not_count(home: Settings) -> None:
    profile = {**GANZHOU, "certificates": [{"occupation": "电工", "level": "四级"}]}
    got = statuses(home, profile)
    assert got["W3-OWN"] == "no" and got["W3-NAMED"] == "no"  # 焊工四级 required
    assert got["W3-ELEC"] == "yes"  # the text names 电工: read against 电工
    assert got["E3"] == "yes"  # its own occupation, 电工
    why = matcher(home).why_not(profile, "W3-OWN", today=TODAY)
    assert "电工四级" in why["rules"][0]["reason"]


def test_the_certificate_held_opens_the_next_level(home: Settings) -> None:
    profile = {**GANZHOU, "interests_text": "焊工",
               "certificates": [{"occupation": "焊工", "level": "四级/中级工"}]}
    got = statuses(home, profile)
    assert got["W3-OWN"] == got["W3-NAMED"] == "yes" and got["W3-ELEC"] == "no"
    result = by_id(matcher(home).match(profile, k=20, today=TODAY))
    assert result["W3-OWN"]["enterable"] == "yes"
    assert "符合" in result["W3-OWN"]["enterable_reason"]


def test_unstated_certificates_mark_and_rank_below_enterable_ones(home: Settings) -> None:
    profile = {**GANZHOU, "interests_text": "焊工"}
    result = matcher(home).match(profile, k=20, today=TODAY)
    welders = [r for r in result["results"] if r["occupation_code"] == WELDER]
    order = [r["enterable"] for r in welders]
    assert set(order) == {"yes", "confirm"}
    assert order == sorted(order, key=lambda s: s != "yes"), order  # every yes first
    own = by_id(result)["W3-OWN"]
    assert own["enterable"] == "confirm"
    assert any("未说明已有证书" in reason and "请确认" in reason for reason in own["reasons"])
    # Without the demotion W3-OWN would lead: it beats W4 on every factor.
    assert own["score"] > by_id(result)["W4"]["score"]


def test_a_certificate_of_an_unknown_occupation_needs_confirmation(home: Settings) -> None:
    profile = {**GANZHOU, "certificates": [{"occupation": "星际领航员", "level": "四级"}]}
    got = statuses(home, profile)
    assert got["W3-OWN"] == got["W3-NAMED"] == "confirm"
    assert "需核对所持证书" in matcher(home).why_not(profile, "W3-OWN",
                                               today=TODAY)["enterable_reason"]


def test_what_cannot_be_read_needs_confirmation(home: Settings) -> None:
    profile = {**GANZHOU, "certificates": []}
    pc = matcher(home).why_not(profile, "PC", today=TODAY)
    assert not pc["excluded"] and pc["enterable"] == "confirm"
    assert "有一定电脑基础" in pc["enterable_reason"]


@pytest.mark.parametrize(("education", "expected"), [("小学", "no"), ("高中", "yes"),
                                                     ("技校", "yes"), (None, "confirm")])
def test_schooling_is_read_against_the_profile(home: Settings, education: str | None,
                                               expected: str) -> None:
    profile = {**GANZHOU, "certificates": [], **({"education": education} if education else {})}
    assert matcher(home).why_not(profile, "SCHOOL", today=TODAY)["enterable"] == expected


@pytest.mark.parametrize("profile", [
    {"certificates": []}, {}, {"certificates": [{"occupation": "电焊工", "level": "四级"}]},
    {"certificates": [{"occupation": "电工", "level": "三级"}], "education": "初中"},
])
def test_the_explanation_agrees_with_the_vectorised_status(home: Settings,
                                                            profile: dict[str, Any]) -> None:
    snap = matcher(home).snapshot()
    parsed = parse_profile({**GANZHOU, **profile}, occupation_code)
    checks = enterability.check_routes(snap.routes, parsed)
    vector = enterability.program_status(snap.routes, len(snap), checks)
    for i, row in enumerate(snap.rows):
        status, why = enterability.explain(snap.routes, i, row.occupation, parsed, checks)
        assert status == enterability.STATUS_NAMES[int(vector[i])], row.program_id
        assert (why is None) == (not read(row.prerequisite).routes)
    assert set(np.unique(vector)) <= {enterability.NO, enterability.CONFIRM, enterability.YES}


def test_a_certificate_named_colloquially_finds_its_occupation() -> None:
    assert occupation_code("电焊工") == WELDER
    assert occupation_code("焊工") == WELDER
    assert occupation_code("火星工") is None


def test_the_reading_vocabulary_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    from matcher import prerequisites

    bad = tmp_path / "prerequisites.yaml"
    text = prerequisites.DATA.read_text(encoding="utf-8")
    bad.write_text(text.replace("  - 工龄\n", "  - 工龄(\n"), encoding="utf-8")
    monkeypatch.setattr(prerequisites, "DATA", bad)
    prerequisites.vocabulary.cache_clear()
    try:
        with pytest.raises(ValueError, match="does not compile"):
            prerequisites.vocabulary()
    finally:
        prerequisites.vocabulary.cache_clear()
