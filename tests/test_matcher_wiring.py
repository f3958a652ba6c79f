"""What the ranking reads from the physical-limits and per-program subsidy readings: a
clash demotes and says so; a program's subsidy is judged by the rules of its own region,
and nothing is claimed where the rule book holds none."""

from __future__ import annotations

from typing import Any

import pytest

from api.matching import matcher
from corpus.settings import Settings
from tests.test_matcher import TODAY, catalog_home, program

SAME = {"trained_last_year": "100", "employment_rate": "70%", "pass_rate": "85%",
        "subsidized": "是", "fee_yuan": "1500"}
CATALOG = [
    program("WELD", "焊工（五级）培训", "焊工", "五级", provider="赣州甲校", **SAME),
    program("SHOP", "电子商务师（五级）培训", "电子商务师", "五级", provider="赣州乙校", **SAME),
    program("GD", "电子商务师（五级）培训（广州）", "电子商务师", "五级", province="广东省",
            city="广州市", provider="广州丙校", **SAME),
]
GANZHOU = {"province": "江西省", "city": "赣州市", "age": 35, "travel": "anywhere"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    return catalog_home(tmp_path_factory, "wiring-home", CATALOG)


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["program_id"]: r for r in result["results"]}


def test_a_physical_clash_demotes_and_says_why(home: Settings) -> None:
    plain = matcher(home).match(GANZHOU, k=3, today=TODAY)
    limited = matcher(home).match({**GANZHOU, "physical_limits": ["不能久站"]}, k=3,
                                  today=TODAY)
    before, after = by_id(plain), by_id(limited)
    assert after["WELD"]["score"] < before["WELD"]["score"]
    assert after["SHOP"]["score"] == before["SHOP"]["score"]
    assert any("不能久站" in r for r in after["WELD"]["reasons"])
    assert not any("不能久站" in r for r in after["SHOP"]["reasons"])
    local = [i for i in (r["program_id"] for r in limited["results"]) if i != "GD"]
    assert local.index("SHOP") < local.index("WELD")


def test_a_subsidy_is_judged_by_the_programs_own_region(home: Settings) -> None:
    result = by_id(matcher(home).match({**GANZHOU, "groups": ["退役军人"]}, k=3, today=TODAY))
    far = result["GD"]
    assert far["subsidy"]["status"] == "unknown"
    assert not any("可享受培训补贴" in r for r in far["reasons"])
    assert any("项目所在地" in r for r in far["reasons"])
    assert far["subsidy"]["out_of_pocket_yuan"] == 1500
    near = result["SHOP"]["subsidy"]
    assert near["status"] != "unknown" and near["place"]
