"""Which brand tier a program qualifies for, judged by the brand rules in the rule book
(内蒙古自治区培育打造职业技能培训品牌实施方案, ``assistant/rules/neimenggu_brand.yaml``).

A catalog row carries the performance figures (scale, pass and employment rates, key
groups, order-based share) but not the basic conditions (management system, teachers,
premises …), so a tier whose figures all pass is reported as "figures met, basics to be
confirmed" with the facts still missing. The only brand rules on file are 内蒙古's: for a
program elsewhere the result says so and gives the tier those rules would give, marked as
a reference reading.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from matcher.db import Program
from matcher.subsidy import RuleEvaluator

TIERS = (("自治区级", "nm_brand_region_tier"), ("盟市级", "nm_brand_league_tier"),
         ("旗县级", "nm_brand_county_tier"))
RULE_PROVINCE = "内蒙古自治区"
_TO_RULE_LEVEL = {"国家级": "自治区级", "省级": "自治区级", "市级": "盟市级", "县级": "旗县级",
                  "无": "无", None: None}


def program_facts(program: Program, province: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"subject": "training_institution", "province": province}
    pairs = {"trainees_last_year": program.trained_last_year, "pass_rate": program.pass_rate,
             "employment_rate": program.employment_rate,
             "priority_group_trainees": program.key_group_trained,
             "order_based_share": program.order_based_ratio,
             "brand_level": _TO_RULE_LEVEL.get(program.brand_level)}
    facts.update({k: v for k, v in pairs.items() if v is not None})
    return facts


def _summary(tier: str, result: Any) -> dict[str, Any]:
    failed = [{"condition": t.description, "value": t.value_seen, "cite": t.cite}
              for t in result.trace if t.kind == "leaf" and t.status == "fail"]
    passed = [t.description for t in result.trace if t.kind == "leaf" and t.status == "pass"]
    return {"tier": tier, "rule_id": result.rule_id, "verdict": result.verdict,
            "status": result.status, "failed": failed, "passed": passed,
            "missing_facts": result.missing_facts}


def check_program(book: RuleEvaluator, program: Program, today: dt.date | None = None
                  ) -> dict[str, Any]:
    today = today or dt.date.today()
    applies = program.province == RULE_PROVINCE
    facts = program_facts(program, program.province if applies else RULE_PROVINCE)
    tiers = [_summary(tier, book.evaluate(rule_id, facts, today)) for tier, rule_id in TIERS]
    qualified = next((t["tier"] for t in tiers if not t["failed"]), None)
    note = None if applies else (
        f"品牌规则目前只收录了内蒙古的标准；该项目在{program.province}，"
        "以下是按内蒙古标准的参照结果，不是当地认定。")
    labelled = program.brand_level or "无"
    consistent = None
    if qualified is not None or labelled != "无":
        rank = {"自治区级": 3, "盟市级": 2, "旗县级": 1}
        consistent = rank.get(qualified or "", 0) >= rank.get(_TO_RULE_LEVEL.get(labelled) or "", 0)
    return {"program_id": program.program_id, "title": program.title,
            "province": program.province, "labelled": labelled, "applies": applies,
            "qualified_tier": qualified, "label_consistent": consistent,
            "basics_to_confirm": sorted({f for t in tiers for f in t["missing_facts"]}),
            "tiers": tiers, "note": note}
