"""The counselor's eligibility panel (``POST /v1/eligibility``): only the rules of the worker's
place, statuses a counselor can act on, and agreement with the matcher's subsidy reasons."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.schemas import EligibilityOut
from assistant.rules.check import check
from assistant.rules.engine import DEFAULT_FOLDER, RuleBook
from assistant.rules.panel import CONFIRM_LOCALLY, STATUS_ORDER
from corpus.domain.profile import parse_profile
from corpus.regions import NATIONAL, regions
from matcher.subsidy import TRAINING_CONTEXT, TRAINING_SUBSIDY_RULES, training_subsidy

TODAY = dt.date(2026, 11, 27)  # the 江西 plan (2021–2025) has lapsed
IN_PLAN = dt.date(2024, 6, 1)  # …and was in force
NANCHANG_UNEMPLOYED = {"city": "南昌", "groups": ["失业人员"], "age": 35,
                       "employment_status": "失业"}


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return RuleBook.load()


def panel(profile: dict[str, Any], as_of: dt.date = TODAY, book: RuleBook | None = None
          ) -> dict[str, Any]:
    return check(profile, as_of=as_of, book=book)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["rule_id"]: item for item in report["results"]}


# -- which rules ---------------------------------------------------------------------------


def test_a_nanchang_worker_sees_national_and_jiangxi_rules_only(book: RuleBook) -> None:
    report = panel(NANCHANG_UNEMPLOYED)
    assert report["place"] == "江西省南昌市"
    assert {item["region"] for item in report["results"]} == {NATIONAL, "江西省"}
    elsewhere = report["summary"]["other_places_by_region"]
    assert {"河南省", "山东省", "湖北省", "宁波市", "内蒙古自治区"} <= set(elsewhere)
    assert report["summary"]["other_places"] == sum(elsewhere.values())
    # Nothing silently hidden: every rule is shown or counted.
    summary = report["summary"]
    assert summary["shown"] + summary["other_places"] + summary["other_subjects"] \
        == len(book.rules)
    assert summary["shown"] == len(report["results"])


def test_a_baotou_worker_sees_inner_mongolia_not_jiangxi() -> None:
    regions_shown = {item["region"] for item in panel({"city": "包头", "groups": ["农民工"]})
                     ["results"]}
    assert regions_shown == {NATIONAL, "内蒙古自治区"}


def test_a_citys_rules_only_for_that_city() -> None:
    ningbo = by_id(panel({"city": "宁波", "groups": ["企业职工"]}))
    assert ningbo["nb_employer_training_duty"]["scope"] == "local"
    hangzhou = panel({"city": "杭州", "groups": ["企业职工"]})
    assert "nb_employer_training_duty" not in by_id(hangzhou)
    assert hangzhou["summary"]["other_places_by_region"]["宁波市"] >= 1
    # Only the province known: the city's rules stay open, and the city is asked first.
    zhejiang = by_id(panel({"province": "浙江", "groups": ["企业职工"]}))
    item = zhejiang["nb_employer_training_duty"]
    assert item["status"] == "undetermined" and item["missing_facts"][0] == "city"
    assert item["questions"][0]["question"].startswith("请问您在哪个市")


def test_with_no_place_national_and_labelled_provincial_rules(book: RuleBook) -> None:
    report = panel({"groups": ["退役军人"], "age": 30})
    items = report["results"]
    levels = {regions().resolve(i["region"]).level for i in items if i["region"] != NATIONAL}
    assert levels == {"province"}  # no city's rules without a city
    assert report["summary"]["other_places_by_region"] == {"宁波市": 2}
    assert report["summary"]["note"] and report["place"] is None
    provincial = [i for i in items if i["region"] != NATIONAL]
    assert provincial and all(i["scope"] == "unplaced" for i in provincial)
    assert all(i["status"] != "applies" for i in provincial)
    open_ = [i for i in provincial if i["status"] == "undetermined"]
    assert open_ and all(i["missing_facts"][0] == "province" for i in open_)
    assert all(i["region"] in i["reason"] for i in open_)


def test_a_rule_on_household_registration_reaches_a_worker_registered_there() -> None:
    report = by_id(panel({"city": "深圳", "groups": ["退役军人"], "hukou_province": "江西"},
                         as_of=IN_PLAN))
    assert report["jx_veteran_cross_province"]["status"] == "applies"
    assert "jx_veteran_training" not in report  # lives in 广东: 江西's own plan does not reach


# -- statuses --------------------------------------------------------------------------------


def test_a_rule_for_someone_else_is_not_applicable_never_not_eligible() -> None:
    report = by_id(panel(NANCHANG_UNEMPLOYED))
    vet = report["vet_training_subsidy"]
    assert vet["status"] == "not_applicable" and vet["label"] == "不适用"
    assert vet["verdict"] is None and "退役军人" in vet["reason"]
    employed_only = report["gf_insured_staff_skill_upgrade"]
    assert employed_only["status"] == "not_applicable"


def test_one_rule_of_another_place_or_subject_is_not_applicable() -> None:
    [henan] = check(NANCHANG_UNEMPLOYED, "hn_training_subsidy", TODAY)["results"]
    assert henan["status"] == "not_applicable" and "河南省" in henan["reason"]
    [employer] = check(NANCHANG_UNEMPLOYED, "de_employer_quota", TODAY)["results"]
    assert employer["status"] == "not_applicable" and employer["verdict"] is None


def test_not_eligible_names_the_fact_and_the_condition() -> None:
    report = by_id(panel({"city": "郑州", "groups": ["高校毕业生"], "education": "本科"}))
    item = report["epl_labour_preparation"]
    assert item["status"] == "not_eligible" and item["verdict"] == "no"
    [failed] = item["failed"]
    assert failed["fact"] == "education" and failed["value"] == "本科"
    assert "初中" in failed["condition"] and "最高学历" in item["reason"]
    assert failed["cite"]["section"]


def test_an_open_rule_asks_the_registrys_chinese_questions(book: RuleBook) -> None:
    item = by_id(panel(NANCHANG_UNEMPLOYED))["epl_unemployed_training_subsidy"]
    assert item["status"] == "undetermined"
    assert item["missing_facts"] == ["participating_in_training"]
    ask = book.registry.specs["participating_in_training"].ask
    assert [q["question"] for q in item["questions"]] == [ask]
    assert item["follow_up"] == ask and ask.endswith("？")


def test_expired_rules_give_their_end_and_say_to_check_locally() -> None:
    item = by_id(panel(NANCHANG_UNEMPLOYED))["jx_trainee_subsidies"]
    assert item["status"] == "expired" and item["label"] == "已失效"
    assert "2025-12-31" in item["reason"] and CONFIRM_LOCALLY in item["reason"]
    assert item["effective"]["to"] == "2025-12-31"
    in_plan = by_id(panel({**NANCHANG_UNEMPLOYED, "groups": ["退役军人"]}, as_of=IN_PLAN))
    assert in_plan["jx_veteran_training"]["status"] == "applies"


def test_order_applies_then_open_rules_fewest_questions_first_not_applicable_last() -> None:
    for profile in (NANCHANG_UNEMPLOYED, {"groups": ["退役军人"]}, {"city": "郑州"}):
        items = panel(profile)["results"]
        ranks = [STATUS_ORDER.index(i["status"]) for i in items]
        assert ranks == sorted(ranks)
        assert items[-1]["status"] == "not_applicable" or "not_applicable" not in {
            i["status"] for i in items}
        asked = [len(i["missing_facts"]) for i in items if i["status"] == "undetermined"]
        assert asked == sorted(asked)


def test_every_item_keeps_its_citation_and_the_response_fits_the_schema() -> None:
    report = panel(NANCHANG_UNEMPLOYED)
    assert all(i["citations"][0]["doc"] and i["citations"][0]["section"]
               for i in report["results"])
    EligibilityOut.model_validate(report)
    ask_next = report["summary"]["ask_next"]
    assert ask_next and ask_next[0]["rules"] >= ask_next[-1]["rules"]


# -- the panel and the match reasons agree ---------------------------------------------------

AGREEMENT_PROFILES = [
    (NANCHANG_UNEMPLOYED, TODAY),
    ({"city": "赣州", "groups": ["退役军人"], "age": 28}, IN_PLAN),
    ({"city": "赣州", "groups": ["退役军人"], "age": 28}, TODAY),
    ({"city": "郑州", "groups": ["农民工"], "age": 40}, TODAY),
    ({"city": "包头", "groups": ["城镇登记失业人员"], "employment_status": "失业"}, TODAY),
    ({"groups": ["退役军人"], "age": 30}, TODAY),
    ({"city": "济南", "groups": ["残疾人"], "employment_status": "失业"}, TODAY),
    ({"city": "南昌", "groups": ["农民工"], "age": 30}, IN_PLAN),
]


def assert_agree(book: RuleBook, profile: dict[str, Any], day: dt.date) -> None:
    """A subsidy reason only under a rule the panel lists as applying (or open only on
    what the matcher assumes of anyone enrolling); a rule the panel shows as applying
    always yields a reason."""
    shown = by_id(panel(profile, day, book))
    finding = training_subsidy(book, parse_profile(profile), day)
    if finding.rule_id is not None:
        item = shown.get(finding.rule_id)
        assert item is not None, f"{finding.rule_id} is not on the panel"
        assert item["status"] == "applies" or (
            item["status"] == "undetermined"
            and set(item["missing_facts"]) <= set(TRAINING_CONTEXT)), item
    granting = [rid for rid in TRAINING_SUBSIDY_RULES if rid in shown
                and shown[rid]["status"] == "applies"]
    assert not granting or finding.rule_id is not None


@pytest.mark.parametrize(("profile", "day"), AGREEMENT_PROFILES)
def test_the_panel_and_the_subsidy_reason_agree(book: RuleBook, profile: dict[str, Any],
                                                day: dt.date) -> None:
    assert_agree(book, profile, day)


def test_agreement_holds_for_a_regional_rule_that_does_not_test_the_place(
        tmp_path: Path) -> None:
    """Scope comes from the rule's region, not only from a place condition: a 河南 subsidy
    written without "在河南" is still not claimed for a worker in 南昌."""
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / "henan_training.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: hn_training_subsidy")
    end = text.index("- id:", start + 5)
    rule = text[start:end].replace("reads: [province, ", "reads: [") \
        .replace("        - *in_henan\n", "", 1)
    assert rule != text[start:end]
    path.write_text(text[:start] + rule + text[end:], encoding="utf-8")
    book = RuleBook.load(folder)
    worker = {"city": "南昌", "groups": ["农民工"], "age": 30}
    finding = training_subsidy(book, parse_profile(worker), TODAY)
    assert finding.rule_id != "hn_training_subsidy"
    assert "hn_training_subsidy" not in by_id(panel(worker, TODAY, book))
    assert_agree(book, worker, TODAY)


def test_a_group_that_implies_the_employment_status_is_not_asked_it_again() -> None:
    """A counselor who chose 失业人员 has said the worker is unemployed: the panel does not
    ask 「请问您现在的就业状态是？」 first; a status stated outright still wins."""
    chosen = {"city": "郑州市", "groups": ["失业人员"], "age": 45}
    asked = [a["fact"] for a in panel(chosen)["summary"]["ask_next"]]
    assert "employment_status" not in asked
    assert parse_profile(chosen).facts()["employment_status"] == "unemployed"
    stated = parse_profile({**chosen, "employment_status": "在职"}).facts()
    assert stated["employment_status"] == "在职"
    # groups that imply different statuses imply none
    assert parse_profile({"groups": ["在校学生", "失业人员"]}).employment_status is None
