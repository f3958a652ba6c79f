"""Eligibility rules: the YAML test cases, and the checks that keep the rule data honest.

Cases live in ``tests/rules/<rules file name>.yaml`` (one test file per rules file), as
``{name, rule, facts, as_of?, boundary?, expect: {verdict, status?, missing_facts?,
conditions?}}``. A file may set a default ``as_of`` for its cases. Every rule needs at
least one case and one boundary case; every quote must be verbatim in the cleaned text of
its document, because an answer that cites a clause the document does not contain is worse
than no answer.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.rules.check import check
from assistant.rules.engine import DEFAULT_FOLDER, RuleBook, places_in
from assistant.rules.model import AllNode, Leaf, NotNode, RuleFileError
from corpus.domain.profile import facts_from_profile
from corpus.errors import InvalidInput, NotFound
from corpus.library import SHIPPED, collect_files, prepare
from corpus.normalize import search_text, to_script

CASES_DIR = Path(__file__).parent / "rules"
PLACE_FACTS = {"province", "city", "county", "hukou_province"}
#: Regional rules that deliberately do not restrict the place (see their interpretation).
PLACE_FREE = {"jx_digital_certification_subsidy"}
VETERAN_QUESTION = "我当过兵，能参加补贴培训吗？"
HUBEI_QUESTION = "我是湖北户籍，从农村出来打工的，能参加1+X证书培训吗？"


def _verdict(value: Any) -> str | None:
    """YAML 1.1 reads bare yes/no as booleans; accept both spellings in case files."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases") or []:
            case = dict(case)
            case.setdefault("as_of", data.get("as_of"))
            case["file"] = path.name
            cases.append(case)
    return cases


CASES = _load_cases()


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return RuleBook.load()


@pytest.fixture(scope="module")
def texts() -> dict[str, Any]:
    """Document id → prepared (cleaned) document, built once."""
    return {item.meta.id: item for item in (prepare(p) for p in collect_files([SHIPPED]))}


def _leaves(node: Any) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, NotNode):
        return _leaves(node.not_)
    children = node.all if isinstance(node, AllNode) else node.any
    return [leaf for child in children for leaf in _leaves(child)]


# -- the cases ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(book: RuleBook, case: dict[str, Any]) -> None:
    result = book.evaluate(case["rule"], case.get("facts") or {}, case.get("as_of"))
    expect = case["expect"]
    statuses = {t.id: t.status for t in result.trace}
    assert result.verdict == _verdict(expect["verdict"]), (result.status, statuses)
    if "status" in expect:
        assert result.status == expect["status"]
    if "missing_facts" in expect:
        assert result.missing_facts == expect["missing_facts"]
    for cond_id, status in (expect.get("conditions") or {}).items():
        assert statuses.get(cond_id) == status, f"{cond_id}: {statuses.get(cond_id)} ≠ {status}"
    if result.missing_facts:
        assert result.follow_up == book.registry.specs[result.missing_facts[0]].ask
    json.dumps(result.to_dict(), ensure_ascii=False)


def test_case_names_are_unique() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_every_rules_file_has_its_test_file(book: RuleBook) -> None:
    rule_files = set(book.files.values())
    case_files = {p.name for p in CASES_DIR.glob("*.yaml")}
    assert rule_files == case_files


def test_cases_are_in_the_file_of_their_rule(book: RuleBook) -> None:
    for case in CASES:
        assert case["rule"] in book.rules, f"{case['name']}: unknown rule {case['rule']}"
        assert book.files[case["rule"]] == case["file"], case["name"]


def test_every_rule_has_a_case_and_a_boundary_case(book: RuleBook) -> None:
    covered = {c["rule"] for c in CASES}
    bounded = {c["rule"] for c in CASES if c.get("boundary")}
    uncovered = sorted(set(book.rules) - covered)
    unbounded = sorted(set(book.rules) - bounded)
    assert not uncovered, f"rules without a case: {uncovered}"
    assert not unbounded, f"rules without a boundary case: {unbounded}"


# -- the data ------------------------------------------------------------------------


def test_every_quote_is_verbatim_in_its_cleaned_document(book: RuleBook,
                                                         texts: dict[str, Any]) -> None:
    missing = []
    for rule in book.rules.values():
        cites = [rule.reference] + [leaf.cite for leaf in _leaves(rule.conditions)]
        for cite in cites:
            doc = texts.get(cite.doc)
            if doc is None or cite.quote not in doc.text:
                missing.append((rule.id, cite.doc, cite.quote[:40]))
    assert not missing, missing


def test_reference_doc_numbers_match_the_documents(book: RuleBook,
                                                   texts: dict[str, Any]) -> None:
    for rule in book.rules.values():
        assert rule.reference.doc_number == texts[rule.reference.doc].meta.doc_number, rule.id


def test_every_fact_read_is_registered(book: RuleBook) -> None:
    for rule in book.rules.values():
        used = {leaf.fact for leaf in _leaves(rule.conditions)}
        assert used == set(rule.reads), rule.id
        assert set(rule.reads) <= set(book.registry.specs), rule.id


def test_trigger_terms_are_simplified_and_survive_normalisation(book: RuleBook) -> None:
    """Terms are written in Simplified; the engine matches their search form (线上 → 在线)."""
    for rule in book.rules.values():
        for group in rule.triggers:
            for term in group:
                assert to_script(term, "zh-Hans") == term, (rule.id, term)
                assert search_text(term).strip(), (rule.id, term)


def test_regional_rules_check_the_place(book: RuleBook) -> None:
    for rule in book.rules.values():
        if rule.region == "全国" or rule.id in PLACE_FREE:
            continue
        assert PLACE_FACTS & set(rule.reads), f"{rule.id} never checks where the person is"


def test_rules_start_no_earlier_than_their_document(book: RuleBook,
                                                    texts: dict[str, Any]) -> None:
    """A news report describes a policy that predates it, so reports are exempt."""
    for rule in book.rules.values():
        meta = texts[rule.reference.doc].meta
        start = meta.effective_from or meta.published
        if start is not None and meta.doc_type != "新闻报道":
            assert rule.effective.from_ >= start, rule.id


# -- dates ---------------------------------------------------------------------------


def test_an_expired_rule_is_reported_not_applied(book: RuleBook) -> None:
    facts = {"completed_online_course": True, "has_course_certificate": True}
    last_day = book.evaluate("ip_online_course_subsidy", facts, dt.date(2021, 12, 31))
    assert (last_day.status, last_day.verdict) == ("applies", "yes")
    after = book.evaluate("ip_online_course_subsidy", facts, dt.date(2022, 1, 1))
    assert after.status == "expired"
    assert after.verdict is None
    assert after.trace == [] and after.missing_facts == [] and after.follow_up is None
    assert "2021-12-31" in (after.note or "")
    assert after.citations and after.citations[0]["doc"] == "mohrss-2020-internet-plus-qa"
    everything = {r.rule_id: r for r in book.evaluate_all(facts, dt.date(2024, 1, 1))}
    assert everything["ip_online_course_subsidy"].status == "expired"
    assert everything["ip_online_course_subsidy"].verdict is None


def test_a_rule_before_its_start_is_not_yet_effective(book: RuleBook) -> None:
    facts = {"province": "江西省", "institution_type": "民办职业培训学校", "teacher_cert_share": 90}
    before = book.evaluate("jx_private_school_cert_100", facts, dt.date(2025, 12, 31))
    assert (before.status, before.verdict) == ("not_yet_effective", None)
    after = book.evaluate("jx_private_school_cert_100", facts, dt.date(2026, 1, 1))
    assert (after.status, after.verdict) == ("does_not_apply", "no")


# -- facts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "named"), [
    ({"age": "二十八"}, "年龄"),
    ({"age": 28.5}, "年龄"),
    ({"completed_online_course": "yes"}, "已完成线上课程学习"),
    ({"employment_status": "retired"}, "就业状态"),
    ({"groups": "退役军人"}, "所属人群"),
    ({"groups": ["外星人"]}, "所属人群"),
    ({"hukou_province": "火星"}, "户籍所在省"),
    ({"province": "赣州市"}, "所在省份"),
    ({"pass_rate": 101}, "培训合格率"),
    ({"favourite_colour": "红"}, "favourite_colour"),
])
def test_a_bad_fact_is_refused_by_name(book: RuleBook, facts: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidInput) as error:
        book.evaluate("vet_training_subsidy", facts, dt.date(2024, 1, 1))
    assert error.value.code == "bad_fact"
    assert named in error.value.message


@pytest.mark.parametrize("age", [-1, 121, 150])
def test_an_impossible_age_is_refused(book: RuleBook, age: int) -> None:
    with pytest.raises(InvalidInput) as error:
        book.evaluate("sd_unemployment_registration", {"age": age}, dt.date(2024, 1, 1))
    assert error.value.code == "impossible_age"
    assert "年龄" in error.value.message


@pytest.mark.parametrize("age", [0, 120])
def test_ages_at_the_limits_are_accepted(book: RuleBook, age: int) -> None:
    book.evaluate("sd_unemployment_registration", {"age": age}, dt.date(2024, 1, 1))


def test_values_are_canonicalised(book: RuleBook) -> None:
    clean = book.registry.normalize({"province": "湖北", "groups": ["退伍军人", "打工的"],
                                     "employment_status": "失业", "education": "中专"})
    assert clean["province"] == "湖北省"
    assert clean["groups"] == ["退役军人", "农民工"]
    assert clean["employment_status"] == "unemployed"
    assert clean["education"] == "中职"


def test_province_is_derived_from_a_city_and_contradictions_refused(book: RuleBook) -> None:
    result = book.evaluate("hb_1x_department_veterans", {"city": "武汉", "groups": ["退役军人"]},
                           dt.date(2021, 1, 1))
    assert result.status == "applies"
    with pytest.raises(InvalidInput) as error:
        book.evaluate("hb_1x_department_veterans", {"province": "江西", "city": "武汉"},
                      dt.date(2021, 1, 1))
    assert error.value.code == "bad_fact"


def test_descriptions_are_generated_in_chinese(book: RuleBook) -> None:
    result = book.evaluate("hb_1x_target_groups", {"hukou_province": "湖北", "groups": ["农民工"]},
                           dt.date(2021, 1, 1))
    described = {t.id: t.description for t in result.trace}
    assert described["hukou_hubei"] == "户籍所在省 = 湖北省"
    assert described["veteran_not_employed"] == "就业状态 属于 失业、毕业未就业"
    tier = book.evaluate("nm_brand_region_tier", {"trainees_last_year": 400}, dt.date(2024, 1, 1))
    described = {t.id: t.description for t in tier.trace}
    assert described["scale"] == "上年度培训规模 ≥ 400人"
    assert described["pass_rate"] == "培训合格率 ≥ 90%"
    living = book.evaluate("ip_living_allowance", {}, dt.date(2021, 1, 1))
    described = {t.id: t.description for t in living.trace}
    assert described["online"] == "参加的是线上培训：是"
    assert described["rural"] == "户籍类型 = 农村户籍"


# -- three-valued logic on a small rule book of its own -------------------------------------


LOGIC_RULE = """
rules:
  - id: logic
    title: 测试规则
    region: 全国
    effective: {from: 2020-01-01, to: null}
    subject: worker
    reads: [age, is_platform_worker, has_labour_contract]
    triggers: [[测试]]
    conditions:
      all:
        - {id: adult, fact: age, op: gte, value: 18, cite: &c {doc: d, section: s, quote: 测试条文}}
        - id: either
          any:
            - {id: platform, fact: is_platform_worker, op: is_true, cite: *c}
            - not: {id: contract, fact: has_labour_contract, op: is_true, cite: *c}
    outcome: {benefit: 测试, verdict_if_pass: "yes"}
    reference: {doc: d, section: s, quote: 测试条文}
"""


@pytest.fixture()
def logic_book(tmp_path: Path) -> RuleBook:
    shutil.copy(DEFAULT_FOLDER / "facts.yaml", tmp_path / "facts.yaml")
    (tmp_path / "logic.yaml").write_text(LOGIC_RULE, encoding="utf-8")
    return RuleBook.load(tmp_path)


@pytest.mark.parametrize(("facts", "status", "missing"), [
    ({"age": 20, "is_platform_worker": True}, "applies", []),
    ({"age": 20, "is_platform_worker": False, "has_labour_contract": False}, "applies", []),
    ({"age": 20, "is_platform_worker": False, "has_labour_contract": True}, "does_not_apply", []),
    ({"age": 17, "is_platform_worker": True}, "does_not_apply", []),
    ({"age": 17}, "does_not_apply", []),
    ({"is_platform_worker": True}, "undetermined", ["age"]),
    ({"age": 20}, "undetermined", ["is_platform_worker", "has_labour_contract"]),
    ({"age": 20, "is_platform_worker": False}, "undetermined", ["has_labour_contract"]),
    ({}, "undetermined", ["age", "is_platform_worker", "has_labour_contract"]),
])
def test_three_valued_logic(logic_book: RuleBook, facts: dict[str, Any], status: str,
                            missing: list[str]) -> None:
    result = logic_book.evaluate("logic", facts, dt.date(2024, 1, 1))
    assert result.status == status
    assert result.missing_facts == missing
    assert result.verdict == {"applies": "yes", "does_not_apply": "no"}.get(status)


def test_a_rule_for_another_subject_does_not_apply(book: RuleBook) -> None:
    result = book.evaluate("nm_brand_subsidy_uplift", {"subject": "worker"}, dt.date(2024, 1, 1))
    assert (result.status, result.verdict) == ("does_not_apply", "no")
    assert result.trace[0].id == "subject" and "培训机构" in (result.note or "")


# -- malformed rule files ----------------------------------------------------------------


@pytest.mark.parametrize(("change", "words"), [
    (lambda s: s.replace("op: gte", "op: bogus"), ["broken.yaml", "logic"]),
    (lambda s: s.replace("fact: age, op: gte", "fact: shoe_size, op: gte"),
     ["broken.yaml", "logic", "shoe_size"]),
    (lambda s: s.replace("value: 18", "value: 十八"), ["broken.yaml", "logic"]),
    (lambda s: s.replace("reads: [age, ", "reads: ["), ["broken.yaml", "logic", "reads"]),
    (lambda s: s.replace("id: platform", "id: adult"), ["broken.yaml", "logic", "adult"]),
    (lambda s: s.replace("verdict_if_pass: \"yes\"", "verdict_if_pass: maybe"),
     ["broken.yaml", "logic"]),
    (lambda s: s + "  - [", ["broken.yaml"]),
])
def test_a_malformed_rule_file_names_file_and_rule(tmp_path: Path, change: Any,
                                                   words: list[str]) -> None:
    shutil.copy(DEFAULT_FOLDER / "facts.yaml", tmp_path / "facts.yaml")
    (tmp_path / "broken.yaml").write_text(change(LOGIC_RULE), encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        RuleBook.load(tmp_path)
    for word in words:
        assert word in error.value.message


def test_a_duplicate_rule_id_is_refused(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_FOLDER / "facts.yaml", tmp_path / "facts.yaml")
    (tmp_path / "a.yaml").write_text(LOGIC_RULE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(LOGIC_RULE, encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        RuleBook.load(tmp_path)
    assert "logic" in error.value.message and "a.yaml" in error.value.message


# -- relevance -----------------------------------------------------------------------


@pytest.mark.parametrize("question", [VETERAN_QUESTION, "我當過兵，能參加補貼培訓嗎？"])
def test_relevant_finds_the_veterans_rule(book: RuleBook, question: str) -> None:
    found = [rule.id for rule in book.relevant(question)]
    assert found[0] == "vet_training_subsidy"
    assert "hb_1x_target_groups" not in found


def test_relevant_finds_the_hubei_rule_and_it_applies(book: RuleBook) -> None:
    found = [rule.id for rule in book.relevant(HUBEI_QUESTION)]
    assert "hb_1x_target_groups" in found
    result = book.evaluate("hb_1x_target_groups",
                           {"hukou_province": "湖北", "groups": ["打工的"]}, dt.date(2021, 3, 1))
    assert (result.status, result.verdict) == ("applies", "yes")


@pytest.mark.parametrize("question", ["今天天气怎么样", "", "你好"])
def test_relevant_finds_nothing_for_unrelated_questions(book: RuleBook, question: str) -> None:
    assert book.relevant(question) == []


def test_relevant_respects_the_place(book: RuleBook) -> None:
    question = "能参加1+X证书培训吗？"
    assert "hb_1x_target_groups" in [r.id for r in book.relevant(question)]
    assert "hb_1x_target_groups" not in [r.id for r in book.relevant(question,
                                                                     {"province": "江西"})]
    named = [r.id for r in book.relevant("湖北" + question, {"province": "江西"})]
    assert "hb_1x_target_groups" in named
    in_city = [r.id for r in book.relevant(question, {"city": "武汉"})]
    assert "hb_1x_target_groups" in in_city


def test_unknown_place_makes_province_the_first_question(book: RuleBook) -> None:
    result = book.evaluate("hb_1x_target_groups", {}, dt.date(2021, 1, 1))
    assert result.status == "undetermined"
    assert result.missing_facts[0] == "province"
    assert result.follow_up == book.registry.specs["province"].ask


def test_hukou_widens_relevance_only_for_rules_that_restrict_by_it(book: RuleBook) -> None:
    facts = {"province": "广东", "hukou_province": "湖北"}
    found = [r.id for r in book.relevant("1+X证书培训的学生归哪个部门负责？", facts)]
    assert "hb_1x_target_groups" in found
    assert "hb_1x_department_students" not in found


def test_places_in_a_question() -> None:
    found = places_in(search_text("我在赣州，户口是湖北的"))
    assert [r.name for r in found] == ["赣州市", "湖北省"]
    assert places_in(search_text("阿里巴巴的课程")) == []


# -- jnt rules check -----------------------------------------------------------------


PROFILE = {
    "province": "江西省", "city": "赣州市", "county": "于都县", "groups": ["退役军人"], "age": 28,
    "education": "高中", "employment_status": "unemployed", "current_occupation": "快递员",
    "certificates": [{"occupation": "电工", "level": "五级"}],
    "skills_text": "会开叉车，做过两年仓库管理", "interests_text": "想学电工或者新能源汽车维修",
    "preferred_industries": ["新能源", "汽车"], "mode": "线下", "max_hours": 200,
    "schedule": "周末班", "budget_yuan": 0, "travel": "same_city",
}


def test_check_the_schema_example_profile() -> None:
    report = check(PROFILE, as_of="2024-06-01")
    assert report["as_of"] == "2024-06-01"
    json.dumps(report, ensure_ascii=False)
    results = {r["rule_id"]: r for r in report["results"]}
    assert results["jx_veteran_training"]["verdict"] == "yes"
    assert results["gf_veterans_employment_training"]["verdict"] == "yes"
    assert all("worker" in r["subject"] for r in report["results"])
    assert "nm_brand_region_tier" not in results


def test_check_one_rule_and_an_unknown_rule() -> None:
    report = check(PROFILE, "vet_training_subsidy", "2024-06-01")
    [only] = report["results"]
    assert only["status"] == "undetermined"
    assert only["missing_facts"] == ["reached_retirement_age", "wants_employment"]
    with pytest.raises(NotFound) as error:
        check(PROFILE, "no_such_rule", "2024-06-01")
    assert error.value.code == "rule_not_found"


def test_check_refuses_a_bad_date() -> None:
    with pytest.raises(InvalidInput) as error:
        check(PROFILE, None, "去年")
    assert error.value.code == "bad_date"


def test_profile_certificates_become_facts() -> None:
    facts = facts_from_profile(PROFILE)
    assert facts["certificates"] == ["电工（五级/初级工）"]
    assert facts["certificate_levels"] == ["五级/初级工"]
    assert facts["subject"] == "worker"


def test_evaluate_all_filters_by_region(book: RuleBook) -> None:
    results = book.evaluate_all({"subject": "worker"}, dt.date(2024, 1, 1), region="湖北省")
    regions = {r.region for r in results}
    assert "湖北省" in regions and "全国" in regions
    assert "江西省" not in regions and "内蒙古自治区" not in regions
