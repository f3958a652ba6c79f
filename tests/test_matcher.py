"""Ranking behaviour: hard rules, soft factors, reasons, weights, "why not", brands,
guided matching, and bad input — on a small hand-made catalog imported the normal way."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.matching import matcher, resolver
from corpus.errors import InvalidInput, NotFound
from corpus.settings import Settings
from matcher.brand import check_program
from matcher.catalog import import_catalog
from matcher.guide import guide
from matcher.occupations import synonym_table
from matcher.reference import classification
from matcher.subsidy import TRAINING_SUBSIDY_RULES

TODAY = dt.date(2026, 11, 22)
WELDER, ELECTRICIAN, CARER, MARKETER = "6-18-02-04", "6-31-01-03", "4-10-01-05", "4-01-06-02"
BASE = {"provider": "赣州市职业技能培训学校", "province": "江西省", "city": "赣州市",
        "mode": "线下", "start_date": "2027-03-01", "end_date": "2027-05-01", "hours": "200",
        "fee_yuan": "1500", "subsidized": "是", "capacity": "40", "trained_last_year": "100",
        "pass_rate": "85%", "employment_rate": "70%"}


def program(pid: str, title: str, occupation: str, level: str, **fields: str) -> dict[str, str]:
    return {**BASE, "program_id": pid, "title": title, "occupation": occupation,
            "level": level, **fields}


CATALOG = [
    program("W4", "焊工（四级/中级工）技能提升培训", "焊工", "四级"),
    program("W5", "焊工（五级/初级工）就业技能培训", "焊工", "五级"),
    program("W3", "焊工（三级/高级工）培训", "焊工", "三级", prerequisite="已取得四级/中级工证书"),
    program("E4", "电工（四级/中级工）培训", "电工", "四级"),
    program("E5", "电工（五级/初级工）培训", "电工", "五级"),
    program("C5", "养老护理员（五级）培训", "养老护理员", "五级"),
    program("M5", "互联网营销师（直播销售）线上培训", "互联网营销师", "五级", mode="线上",
            province="湖北省", city="武汉市", provider="武汉市线上培训平台"),
    program("FAR", "电工（四级）培训（九江）", "电工", "四级", city="九江市",
            provider="九江市技工学校"),
    program("OLD", "焊工（四级）已开班", "焊工", "四级", start_date="2026-10-01",
            end_date="2026-12-31", provider="赣州市另一所学校"),
    program("FULL", "电工（四级）满员班", "电工", "四级", capacity="30", enrolled="30",
            provider="赣州市第三所学校"),
    program("VET", "退役军人电工专班", "电工", "四级", target_groups="退役军人",
            provider="赣州市退役军人培训中心"),
    program("YOUNG", "电工青年班", "电工", "五级", min_age="16", max_age="25",
            provider="赣州青年培训学校"),
    # Near-identical: same occupation, level and provider as E5.
    program("E5B", "电工（五级/初级工）培训（二期）", "电工", "五级"),
    program("E5C", "电工（五级/初级工）培训（三期）", "电工", "五级"),
    # Outcomes: a tiny perfect cohort against a large strong one.
    program("TINY", "养老护理员（五级）小班", "养老护理员", "五级", trained_last_year="3",
            employment_rate="100%", pass_rate="100%", provider="小机构"),
    program("BIG", "养老护理员（五级）大班", "养老护理员", "五级", trained_last_year="400",
            employment_rate="95%", pass_rate="95%", provider="大机构"),
    program("NM1", "焊工（四级）自治区级品牌培训", "焊工", "四级", province="内蒙古自治区",
            city="呼和浩特市", provider="呼和浩特市职业技能培训中心", brand_level="省级",
            trained_last_year="400", pass_rate="90%", employment_rate="70%",
            key_group_trained="200", order_based_ratio="50%"),
    program("NM2", "焊工（四级）培训", "焊工", "四级", province="内蒙古自治区", city="包头市",
            provider="包头市职业技能培训中心", brand_level="省级", trained_last_year="400",
            pass_rate="89.9%", employment_rate="70%", key_group_trained="200",
            order_based_ratio="50%"),
]


def write_catalog(path: Path, rows: list[dict[str, str]]) -> Path:
    keys = sorted({k for row in rows for k in row})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    return path


def catalog_home(factory: pytest.TempPathFactory, name: str,
                 rows: list[dict[str, str]]) -> Settings:
    """A new home holding ``rows`` as its catalog, imported the way an administrator does."""
    folder = factory.mktemp(name)
    settings = Settings(home=folder / "home")  # type: ignore[call-arg]
    import_catalog(settings, write_catalog(folder / "catalog.csv", rows))
    return settings


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return catalog_home(tmp_path_factory, "matcher-home", CATALOG)


def ids(result: dict[str, Any]) -> list[str]:
    return [r["program_id"] for r in result["results"]]


GANZHOU = {"province": "江西省", "city": "赣州市", "age": 30}


# ------------------------------------------------------------------------------ fit, rules

def test_a_named_occupation_comes_first_even_against_strong_other_factors(home: Settings
                                                                         ) -> None:
    # 互联网营销师 is on no shortage list here and has no brand; 焊工 (shortage) and the
    # big 养老护理员 cohort score higher on every other factor.
    result = matcher(home).match({"interests_text": "想学直播带货", "travel": "anywhere"}, k=3,
                                 today=TODAY)
    assert result["results"][0]["occupation_code"] == MARKETER


def test_an_interest_in_welding_puts_welding_programs_first(home: Settings) -> None:
    for interest in ("想学电焊", "焊工", "想学焊接技术"):
        result = matcher(home).match({**GANZHOU, "interests_text": interest}, k=3, today=TODAY)
        assert {r["occupation_code"] for r in result["results"][:2]} == {WELDER}, interest
        assert any("焊工" in reason for reason in result["results"][0]["reasons"])


def test_a_held_level_excludes_lower_programs_of_that_occupation(home: Settings) -> None:
    profile = {**GANZHOU, "interests_text": "焊工",
               "certificates": [{"occupation": "焊工", "level": "四级/中级工"}]}
    result = matcher(home).match(profile, k=20, today=TODAY)
    assert "W5" not in ids(result)
    assert "W3" in ids(result)  # the 四级 prerequisite is met
    assert "E5" in ids(result)  # another occupation's 五级 is untouched
    why = matcher(home).why_not(profile, "W5", today=TODAY)
    assert why["excluded"] and why["rules"][0]["rule"] == "below_held_level"


def test_a_prerequisite_not_met_excludes_when_certificates_are_stated(home: Settings) -> None:
    profile = {**GANZHOU, "interests_text": "焊工", "certificates": []}
    assert "W3" not in ids(matcher(home).match(profile, k=20, today=TODAY))
    unstated = matcher(home).match({**GANZHOU, "interests_text": "焊工"}, k=20, today=TODAY)
    w3 = next(r for r in unstated["results"] if r["program_id"] == "W3")
    assert any("报名条件" in reason for reason in w3["reasons"])


@pytest.mark.parametrize("words", [["退伍军人"], ["当过兵"], ["退役军人"]])
def test_veteran_spellings_rank_identically(home: Settings, words: list[str]) -> None:
    reference = matcher(home).match({**GANZHOU, "groups": ["退役军人"], "interests_text": "电工"},
                                    k=10, today=TODAY)
    result = matcher(home).match({**GANZHOU, "groups": words, "interests_text": "电工"},
                                 k=10, today=TODAY)
    assert ids(result) == ids(reference)
    assert [r["score"] for r in result["results"]] == [r["score"] for r in reference["results"]]
    assert "VET" in ids(result)


def test_a_veteran_is_told_of_the_subsidy_with_its_legal_basis(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "groups": ["当过兵"], "interests_text": "电工"},
                                 k=3, today=TODAY)
    reasons = " ".join(result["results"][0]["reasons"])
    assert "退役军人" in reasons and "培训补贴" in reasons and "退役军人保障法" in reasons


def test_gender_and_ethnicity_change_nothing(home: Settings) -> None:
    base = {**GANZHOU, "interests_text": "电工", "groups": ["农民工"]}
    reference = matcher(home).match(base, k=10, today=TODAY)
    for extra in ({"gender": "女"}, {"gender": "男"}, {"ethnicity": "蒙古族"}, {"民族": "汉族"}):
        result = matcher(home).match({**base, **extra}, k=10, today=TODAY)
        assert result["results"] == reference["results"]


def test_raising_an_employment_rate_never_lowers_the_rank(home: Settings, tmp_path: Path
                                                          ) -> None:
    profile = {**GANZHOU, "interests_text": "电工"}
    rows = {r["program_id"]: r for r in CATALOG}
    ranks = []
    try:
        for rate in ("40%", "55%", "70%", "85%", "99%"):
            rows["E4"] = {**rows["E4"], "employment_rate": rate}
            import_catalog(home, write_catalog(tmp_path / "update.csv", [rows["E4"]]))
            order = ids(matcher(home).match(profile, k=20, today=TODAY))
            ranks.append(order.index("E4"))
    finally:
        import_catalog(home, write_catalog(tmp_path / "restore.csv",
                                           [next(r for r in CATALOG if r["program_id"] == "E4")]))
    assert ranks == sorted(ranks, reverse=True), ranks


def test_three_of_three_does_not_beat_380_of_400(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "养老护理"}, k=10, today=TODAY)
    by_id = {r["program_id"]: r for r in result["results"]}
    assert by_id["BIG"]["factors"]["outcomes"] > by_id["TINY"]["factors"]["outcomes"]


def test_out_of_range_started_full_age_and_group_programs_are_explained(home: Settings) -> None:
    profile = {**GANZHOU, "age": 40, "groups": ["农民工"], "interests_text": "电工"}
    got = ids(matcher(home).match(profile, k=30, today=TODAY))
    expected = {"FAR": "unreachable", "OLD": "started", "FULL": "full", "YOUNG": "age",
                "VET": "target_group"}
    for pid, rule in expected.items():
        assert pid not in got
        why = matcher(home).why_not(profile, pid, today=TODAY)
        assert [r["rule"] for r in why["rules"]] == [rule], pid
        assert why["rules"][0]["reason"]
    online = matcher(home).why_not(profile, "M5", today=TODAY)
    assert not online["excluded"]  # online programs are reachable from anywhere


def test_why_not_for_an_eligible_program_says_what_holds_it_back(home: Settings) -> None:
    why = matcher(home).why_not({**GANZHOU, "interests_text": "焊工"}, "C5", k=2, today=TODAY)
    assert not why["excluded"] and why["rank"] > 2 and why["behind"]
    with pytest.raises(NotFound):
        matcher(home).why_not(GANZHOU, "NO-SUCH-ID", today=TODAY)


def test_near_identical_programs_do_not_crowd_the_top(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "电工", "age": 40}, k=4,
                                 today=TODAY)
    keys = [(r["occupation_code"], r["level"], r["provider"]) for r in result["results"]]
    assert len(set(keys)) == len(keys)


def test_weights_can_be_overridden_and_bad_weights_are_refused(home: Settings) -> None:
    # Skills described, no occupation named: the weights alone decide the order.
    profile = {**GANZHOU, "skills_text": "照顾过家里卧床的老人，会喂饭翻身"}
    fit_only = matcher(home).match(profile, k=3, weight_overrides={
        "shortage": 0, "brand": 0, "outcomes": 0, "cost": 0, "convenience": 0,
        "progression": 0}, today=TODAY)
    assert fit_only["results"][0]["occupation_code"] == CARER
    shortage_only = matcher(home).match(profile, k=3, weight_overrides={
        "fit": 0, "brand": 0, "outcomes": 0, "cost": 0, "convenience": 0,
        "progression": 0, "shortage": 1}, today=TODAY)
    assert shortage_only["results"][0]["factors"]["shortage"] > 0
    assert shortage_only["results"][0]["occupation_code"] != CARER
    for bad in ({"luck": 1}, {"fit": -1}, {"fit": "high"}):
        with pytest.raises(InvalidInput) as error:
            matcher(home).match(profile, weight_overrides=bad, today=TODAY)
        assert error.value.code == "bad_weights"


def test_every_result_has_its_factors_and_reasons(home: Settings) -> None:
    result = matcher(home).match({**GANZHOU, "interests_text": "焊工"}, k=5, today=TODAY)
    names = {"fit", "shortage", "brand", "outcomes", "cost", "convenience", "progression"}
    for r in result["results"]:
        assert set(r["factors"]) == names and r["reasons"]
        assert {"program_id", "title", "occupation", "occupation_code", "level", "provider",
                "province", "city", "mode", "score"} <= set(r)
    shortage = result["results"][0]["reasons"]
    assert any(reason.startswith("紧缺职业：焊工（2022年三季度全国") for reason in shortage)


# ------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize(("profile", "code"), [
    ({"province": "火星省"}, "unknown_region"),
    ({"province": "江西省", "city": "武汉市"}, "inconsistent_region"),
    ({"age": 200}, "bad_age"),
    ({"age": 3}, "bad_age"),
    ({"age": "三十"}, "bad_age"),
    ({"certificates": [{"occupation": "电工", "level": "九级"}]}, "bad_level"),
    ({"groups": ["外星人"]}, "bad_group"),
    ({"travel": "moon"}, "bad_travel"),
    ("not a profile", "bad_profile"),
])
def test_bad_profiles_get_a_clear_error(home: Settings, profile: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        matcher(home).match(profile, today=TODAY)
    assert error.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.value.message)


def test_an_empty_profile_gets_a_ranking_that_says_what_it_assumed(home: Settings) -> None:
    result = matcher(home).match({}, k=5, today=TODAY)
    assert len(result["results"]) == 5
    text = " ".join(result["assumptions"])
    assert "所在地区" in text and "想学什么" in text and "年龄" in text


# ---------------------------------------------------------------------------- brands, guide

def test_brand_check_gives_the_tier_and_the_failing_cited_condition(home: Settings) -> None:
    from assistant.home import rulebook
    from corpus.db import session_factory
    from matcher.db import Program

    with session_factory(home.db_url)() as session:
        nm1, nm2, w4 = (session.get(Program, pid) for pid in ("NM1", "NM2", "W4"))
    good = check_program(rulebook(), nm1, TODAY)
    assert good["applies"] and good["qualified_tier"] == "自治区级" and good["label_consistent"]
    short = check_program(rulebook(), nm2, TODAY)  # 89.9% against 90%
    assert short["qualified_tier"] == "盟市级" and short["label_consistent"] is False
    region = next(t for t in short["tiers"] if t["tier"] == "自治区级")
    assert [f["value"] for f in region["failed"]] == [89.9]
    assert "合格率" in region["failed"][0]["cite"]["quote"]
    elsewhere = check_program(rulebook(), w4, TODAY)
    assert not elsewhere["applies"] and "内蒙古" in elsewhere["note"]


def test_guide_asks_the_question_that_moves_the_top_until_it_is_stable(home: Settings) -> None:
    profile: dict[str, Any] = {"province": "江西省", "city": "赣州市", "interests_text": "电工"}
    first = guide(matcher(home), profile, k=3, today=TODAY)
    assert not first["stable"]
    asked = first["next_question"]
    assert asked["expected_change"] > 0 and asked["question"]
    answers = {"travel": "same_province", "mode": "线下", "schedule": "全日制",
               "max_hours": 400, "groups": [], "age": 32}
    for _ in range(len(answers)):
        step = guide(matcher(home), profile, k=3, today=TODAY)
        if step["stable"]:
            break
        profile[step["next_question"]["field"]] = answers[step["next_question"]["field"]]
    assert guide(matcher(home), profile, k=3, today=TODAY)["stable"]


def test_a_guided_case_ends_when_the_worker_cannot_answer(home: Settings) -> None:
    """Each answer is a value the profile takes as it is (a click records it), and a
    question skipped as 「不清楚」 is never asked again: the guide reaches an end."""
    profile: dict[str, Any] = {"province": "江西省", "city": "赣州市", "interests_text": "电工"}
    skipped: list[str] = []
    for _ in range(10):
        step = guide(matcher(home), profile, k=3, today=TODAY, skip=skipped)
        if step["stable"]:
            break
        asked = step["next_question"]
        assert asked["field"] not in skipped
        for choice in asked["choices"]:
            matcher(home).match({**profile, asked["field"]: choice["value"]}, k=3, today=TODAY)
        skipped.append(asked["field"])
    assert step["stable"] and step["message"]


# ------------------------------------------------------------------------------ occupations

@pytest.mark.parametrize(("text", "name"), [
    ("电焊", "焊工"), ("开叉车的", "起重装卸机械操作工"), ("带货主播", "互联网营销师"),
    ("养老护理", "养老护理员"), ("我想学电工", "电工"), ("給狗洗澡美容", "宠物美容师"),
])
def test_free_text_resolves_to_occupations(home: Settings, text: str, name: str) -> None:
    assert resolver(home).resolve(text)[0].name == name


def test_every_synonym_names_an_official_occupation() -> None:
    for targets in synonym_table().values():
        for target in targets:
            assert classification().find(target) is not None, target


def test_subsidy_rules_exist_in_the_rule_book() -> None:
    from assistant.home import rulebook

    book = rulebook()
    for rule_id in TRAINING_SUBSIDY_RULES:
        assert book.rule(rule_id).outcome.benefit


def test_weights_file_documents_every_factor() -> None:
    spec = yaml.safe_load((Path(__file__).parent.parent / "matcher" / "data" / "weights.yaml")
                          .read_text(encoding="utf-8"))
    for factor in spec["factors"].values():
        assert factor["weight"] >= 0 and factor["label"] and factor["doc"]


# ------------------------------------------------------------------------------ CLI

def test_jnt_match_why_not_guide_brand_and_resolve(home: Settings, tmp_path: Path) -> None:
    from tests.test_cli import jnt

    profile = tmp_path / "p.json"
    profile.write_text('{"province": "江西省", "city": "赣州市", "groups": ["当过兵"], '
                       '"interests_text": "想学电焊", "age": 30}', encoding="utf-8")
    weights = tmp_path / "w.json"
    weights.write_text('{"shortage": 0.5}', encoding="utf-8")
    out = json.loads(jnt(home.home, "match", "--profile", str(profile), "--k", "3",
                         "--weights", str(weights), "--as-of", "2026-11-22", "--json").stdout)
    assert set(out) >= {"results", "assumptions"} and len(out["results"]) == 3
    assert out["results"][0]["occupation_code"] == WELDER and out["weights"]["shortage"] == 0.5
    why = json.loads(jnt(home.home, "match", "--profile", str(profile), "--why-not", "FAR",
                         "--as-of", "2026-11-22", "--json").stdout)
    assert why["rules"][0]["rule"] == "unreachable"
    step = json.loads(jnt(home.home, "match", "guide", "--profile", str(profile), "--as-of",
                          "2026-11-22", "--json").stdout)
    assert "stable" in step and "candidates" in step
    brand = json.loads(jnt(home.home, "brand", "check", "--program", "NM1", "--json").stdout)
    assert brand["qualified_tier"] == "自治区级"
    nm_rows = [r for r in CATALOG if r["program_id"] in ("NM1", "NM2")]
    from_file = json.loads(jnt(home.home, "brand", "check", "--file",
                               str(write_catalog(tmp_path / "nm.csv", nm_rows)), "--json").stdout)
    assert [r["qualified_tier"] for r in from_file] == ["自治区级", "盟市级"]
    occ = json.loads(jnt(home.home, "occupations", "resolve", "开叉车的", "--json").stdout)
    assert occ[0]["name"] == "起重装卸机械操作工"
    bad = tmp_path / "bad.json"
    bad.write_text('{"age": 300}', encoding="utf-8")
    proc = jnt(home.home, "match", "--profile", str(bad), "--json", check=False)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "bad_age"
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- PostgreSQL

def test_a_ranking_on_postgresql_equals_the_one_on_sqlite(
        home: Settings, tmp_path_factory: pytest.TempPathFactory, postgres_database: Any) -> None:
    from tests.postgres import fresh_schema

    folder = tmp_path_factory.mktemp("matcher-pg")
    pg = Settings(home=folder / "home", database_url=fresh_schema(postgres_database))
    import_catalog(pg, write_catalog(folder / "catalog.csv", CATALOG))
    profile = {**GANZHOU, "groups": ["当过兵"], "interests_text": "想学电焊"}
    on_sqlite = matcher(home).match(profile, k=20, today=TODAY)
    on_postgres = matcher(pg).match(profile, k=20, today=TODAY)
    assert ids(on_postgres) and ids(on_postgres) == ids(on_sqlite)
    assert on_postgres["results"] == on_sqlite["results"]
