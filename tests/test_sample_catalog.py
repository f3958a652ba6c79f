"""The sample training catalog: deterministic, built on the shipped reference data, regions
and brand tiers consistent, and every row marked as sample data."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from corpus.regions import Region, regions
from matcher import sample, vocab
from matcher.reference import classification, institutions, national_shortage

ROOT = Path(__file__).resolve().parent.parent
BRAND_YAML = ROOT / "assistant" / "rules" / "neimenggu_brand.yaml"
SAMPLE_VOCAB = ROOT / "matcher" / "data" / "sample_vocab.yaml"
# The `groups` vocabulary of shared/schemas/worker_profile.md.
PROFILE_GROUPS = {"农民工", "退役军人", "高校毕业生", "在校学生", "城镇登记失业人员",
                  "就业困难人员", "脱贫劳动力", "零就业家庭成员", "两后生", "低保家庭", "残疾人",
                  "妇女", "企业职工", "灵活就业人员", "退捕渔民", "青年"}
FACTS = {"trainees_last_year": "trained_last_year", "pass_rate": "pass_rate",
         "employment_rate": "employment_rate", "priority_group_trainees": "key_group_trained",
         "order_based_share": "order_based_ratio"}
TIER_RULES = {"省级": "nm_brand_region_tier", "市级": "nm_brand_league_tier",
              "县级": "nm_brand_county_tier"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return sample.generate(3000)


def _number(value: str) -> int:
    return int(value.rstrip("%"))


def test_same_seed_same_rows_other_seed_other_rows(rows: list[dict[str, str]]) -> None:
    assert sample.generate(3000) == rows
    assert sample.generate(3000, seed=7) != rows
    assert sample.generate(10) == rows[:10]


def test_csv_bytes_do_not_depend_on_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"sample-{hash_seed}.csv"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "matcher.sample", "--n", "400", "--out", str(out)],
                       check=True, env=env, cwd=ROOT, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    with (tmp_path / "sample-1.csv").open(encoding="utf-8", newline="") as fh:
        assert list(csv.DictReader(fh)) == sample.generate(400)


def test_ids_columns_and_required_keys(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 3000
    ids = [r["program_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "SAMPLE-000001"
    assert all(re.fullmatch(r"SAMPLE-\d{6}", i) for i in ids)
    for r in rows:
        assert tuple(r) == sample.COLUMNS
        assert all(r[key] for key in ("program_id", "title", "occupation", "provider",
                                      "province", "mode"))


def test_every_row_is_marked_sample(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert r["description"].startswith("【示例数据】")
        assert r["sample"] == "示例数据"
        assert "（示例）" in r["contact"]


def test_occupations_are_official_and_eligible(rows: list[dict[str, str]]) -> None:
    by_code = classification().by_code
    for r in rows:
        occ = by_code[r["occupation_code"]]
        assert occ.name == r["occupation"]
        assert r["occupation_code"][0] not in "178"  # no 负责人, no 军人
        assert r["industry"]


def test_shortage_occupations_over_represented(rows: list[dict[str, str]]) -> None:
    shortage = {s.occupation_code for s in national_shortage()}
    eligible = [o for o in classification().occupations if o.code[0] not in "178"]
    base = sum(o.code in shortage for o in eligible) / len(eligible)
    share = sum(r["occupation_code"] in shortage for r in rows) / len(rows)
    assert share > 5 * base


def test_new_forms_of_work_present(rows: list[dict[str, str]]) -> None:
    titles = " ".join(r["title"] for r in rows)
    for name in ("互联网营销师", "网约配送员", "网约车司机"):
        assert name in titles
    assert any(r["title"].startswith("网约车司机") and r["occupation"] == "客运车辆驾驶员"
               for r in rows)


def _children_named() -> dict[tuple[str, str], Region]:
    table = regions()
    return {(r.parent or "", r.name): r for r in table.by_code.values()}


def test_regions_consistent(rows: list[dict[str, str]]) -> None:
    table = regions()
    by_parent_name = _children_named()
    for r in rows:
        province = table.find(r["province"])
        assert province is not None and province.level == "province"
        city = table.find(r["city"])
        assert city is not None and province in table.lineage(city)
        if not r["county"]:
            continue
        county = table.find(r["county"])
        if county is None or city not in table.lineage(county):
            # Names such as 河东区 exist in several cities; find() returns one of them.
            county = by_parent_name.get((city.code, r["county"]))
        assert county is not None and county.level == "county", r
        # county inside city inside province (a municipality's districts sit in it directly)
        assert county.parent == city.code and province in table.lineage(county), r


def test_seed_provinces_weighted(rows: list[dict[str, str]]) -> None:
    counts = defaultdict(int)
    for r in rows:
        counts[r["province"]] += 1
    top = sorted(counts, key=counts.__getitem__, reverse=True)[:2]
    assert set(top) == {"江西省", "内蒙古自治区"}
    assert {"湖北省", "山东省", "河南省"} <= set(counts)
    assert len(counts) >= 25


def test_linyi_rows_use_real_institutions(rows: list[dict[str, str]]) -> None:
    real = {(i.name, i.district) for i in institutions()}
    linyi = [r for r in rows if r["city"] == "临沂市"]
    assert linyi
    assert all((r["provider"], r["county"]) in real for r in linyi)


def _yaml_thresholds() -> dict[str, dict[str, int]]:
    doc = yaml.safe_load(BRAND_YAML.read_text(encoding="utf-8"))
    rules = {rule["id"]: rule for rule in doc["rules"]}

    def leaves(node: object) -> list[dict]:
        if isinstance(node, list):
            return [leaf for item in node for leaf in leaves(item)]
        if isinstance(node, dict):
            if "all" in node or "any" in node:
                return leaves(node.get("all", [])) + leaves(node.get("any", []))
            return [node]
        return []

    return {tier: {FACTS[c["fact"]]: int(c["value"]) for c in leaves(rules[rid]["conditions"])
                   if c.get("op") == "gte" and c.get("fact") in FACTS}
            for tier, rid in TIER_RULES.items()}


def test_brand_rows_meet_their_tier(rows: list[dict[str, str]]) -> None:
    thresholds = _yaml_thresholds()
    assert thresholds["省级"]["trained_last_year"] == 400  # the file still says what we read
    assert set(thresholds["市级"]) == set(FACTS.values())
    if not thresholds["县级"]:  # 旗县 set their own standard: the sample's floor applies
        floor = yaml.safe_load(SAMPLE_VOCAB.read_text(encoding="utf-8"))["county_brand_floor"]
        thresholds["县级"] = {k: int(v) for k, v in floor.items()}
    thresholds["国家级"] = thresholds["省级"]
    assert sample.brand_thresholds() == thresholds
    checked = defaultdict(int)
    for r in rows:
        tier = vocab.brand_level(r["brand_level"])
        assert tier is not None
        if tier == "无":
            continue
        for column, minimum in thresholds[tier].items():
            assert _number(r[column]) >= minimum, (r["program_id"], column)
        assert _number(r["key_group_trained"]) <= _number(r["trained_last_year"])
        if r["province"] == "内蒙古自治区":
            checked[tier] += 1
    assert all(checked[tier] > 0 for tier in ("省级", "市级", "县级"))
    assert sum(r["brand_level"] == "无" for r in rows) > 0.8 * len(rows)


def test_levels_certificates_and_prerequisites(rows: list[dict[str, str]]) -> None:
    for r in rows:
        level = vocab.level(r["level"])
        assert level is not None
        assert r["certificate"] in vocab.CERTIFICATES
        if level == "专项职业能力":
            assert r["certificate"] == "专项职业能力证书"
        rank = vocab.level_rank(level)
        if rank is not None and rank >= 2:
            assert r["prerequisite"] == f"已取得{vocab.LEVEL_NAMES[vocab.LEVELS[rank - 1]]}证书"
        elif rank is None or rank == 0:
            assert r["prerequisite"] == ""
    certificates = [r["certificate"] for r in rows if vocab.level_rank(vocab.level(r["level"]))
                    is not None]
    assert certificates.count("职业技能等级证书") > 0.8 * len(certificates)


def test_fields_are_well_formed(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert r["mode"] in vocab.MODES
        assert r["provider_type"] in vocab.PROVIDER_TYPES
        assert sample.provider_type(r["provider"]) == r["provider_type"]
        assert "2026-09-01" <= r["start_date"] <= r["end_date"] <= "2027-06-30"
        assert 20 <= int(r["capacity"]) <= 60 and 0 <= int(r["enrolled"]) <= int(r["capacity"])
        assert 16 <= int(r["min_age"]) < int(r["max_age"]) <= 60
        assert int(r["hours"]) > 0 and int(r["days"]) > 0 and int(r["fee_yuan"]) > 0
        assert r["subsidized"] in ("是", "否")
        groups = r["target_groups"].split("、") if r["target_groups"] else []
        assert set(groups) <= PROFILE_GROUPS
        for column in ("pass_rate", "employment_rate", "order_based_ratio"):
            assert 0 <= _number(r[column]) <= 100
        assert 3 <= _number(r["trained_last_year"]) <= 600
    assert any(r["start_date"] < "2026-11-22" for r in rows)
    assert sum(r["mode"] == "线下" for r in rows) > 0.6 * len(rows)
    assert sum(r["subsidized"] == "是" for r in rows) > 0.7 * len(rows)
    assert sum(not r["target_groups"] for r in rows) > 0.4 * len(rows)


def test_hours_and_fees_follow_the_subsidy_table(rows: list[dict[str, str]]) -> None:
    welders = [r for r in rows if r["occupation"] == "焊工" and r["level"] in
               ("五级/初级工", "四级/中级工")]
    assert welders and all(r["hours"] == "360" for r in welders)
    offline_subsidised = [r for r in welders if r["mode"] != "线上" and r["subsidized"] == "是"]
    assert offline_subsidised and all(r["fee_yuan"] == "1000" for r in offline_subsidised)
    for r in rows:
        if r["schedule"] == "全日制":
            assert int(r["days"]) == -(-int(r["hours"]) // 8)


def test_cli_writes_the_same_rows(tmp_path: Path) -> None:
    out = tmp_path / "catalog.csv"
    assert sample.main(["--n", "25", "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.DictReader(fh)) == sample.generate(25)


def test_hundred_thousand_rows_same_code_path() -> None:
    big = sample.generate(100_000)
    assert len(big) == 100_000
    assert len({r["program_id"] for r in big}) == 100_000
    assert big[:3000] == sample.generate(3000)
    assert len({(r["title"], r["description"]) for r in big}) < 5000
