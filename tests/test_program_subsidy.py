"""A subsidy per program: judged by the rules of the program's region, once per region, with
the worker's out-of-pocket estimate — and nothing claimed where the book holds no rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from assistant.rules.engine import RuleBook
from corpus.db import Base
from corpus.domain.profile import parse_profile
from matcher.db import Program
from matcher.snapshot import Snapshot, load_snapshot
from matcher.subsidy import (
    ASK_LOCALLY,
    TRAINING_SUBSIDY_RULES,
    paid_share,
    program_subsidies,
)

TODAY = dt.date(2026, 11, 27)
NANCHANG_VETERAN = {"city": "南昌", "groups": ["退役军人"], "age": 28}
NANCHANG_MIGRANT = {"city": "南昌", "groups": ["农民工"], "age": 30}

PROGRAMS: list[dict[str, Any]] = [
    {"program_id": "JX", "province": "江西省", "city": "南昌市", "fee_yuan": 1500},
    {"program_id": "JX2", "province": "江西省", "city": "南昌市", "fee_yuan": 900},
    {"program_id": "HN", "province": "河南省", "city": "郑州市", "fee_yuan": 2000},
    {"program_id": "SD", "province": "山东省", "city": "济南市", "fee_yuan": 1200},
    {"program_id": "GD", "province": "广东省", "city": "广州市", "fee_yuan": 1800},
    {"program_id": "HZ", "province": "浙江省", "city": "杭州市", "fee_yuan": 1000},
    {"program_id": "NB", "province": "浙江省", "city": "宁波市", "fee_yuan": 1100},
    {"program_id": "NOFEE", "province": "江西省", "city": "南昌市", "fee_yuan": None},
    {"program_id": "PAID", "province": "江西省", "city": "南昌市", "fee_yuan": 3000,
     "subsidized": False},
]


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return RuleBook.load()


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Program.__table__])
    now = dt.datetime(2026, 11, 1)
    with Session(engine) as session:
        for row in PROGRAMS:
            session.add(Program(**{
                "title": "电工（四级/中级工）培训", "occupation": "电工", "level": "四级",
                "provider": f"{row['program_id']}培训学校", "mode": "线下",
                "subsidized": True, "updated_at": now, **row}))
        session.commit()
        return load_snapshot(session)


def subsidies(book: Any, profile: dict[str, Any], snapshot: Snapshot,
              **kwargs: Any) -> dict[str, Any]:
    return program_subsidies(book, parse_profile(profile), snapshot, TODAY, **kwargs)


def test_a_national_rule_grants_where_the_book_holds_the_places_rules(
        book: RuleBook, snapshot: Snapshot) -> None:
    found = subsidies(book, NANCHANG_VETERAN, snapshot)
    jx = found["JX"]
    assert jx.status == "subsidised" and jx.rule_id == "vet_training_subsidy"
    assert jx.out_of_pocket_yuan == 0 and jx.fee_yuan == 1500
    assert jx.reason.startswith("您属于退役军人，可享受培训补贴")
    assert "退役军人保障法" in jx.reason and jx.citation and jx.citation["section"]
    assert found["NB"].status == "subsidised"  # 宁波's rules are on file


@pytest.mark.parametrize("program_id", ["GD", "HZ"])
def test_nothing_is_claimed_where_the_book_holds_no_rules(
        book: RuleBook, snapshot: Snapshot, program_id: str) -> None:
    found = subsidies(book, NANCHANG_VETERAN, snapshot)[program_id]
    assert found.status == "unknown" and found.rule_id is None
    assert ASK_LOCALLY in found.reason
    assert found.out_of_pocket_yuan == found.fee_yuan


def test_the_programs_region_decides_not_the_workers(book: RuleBook,
                                                     snapshot: Snapshot) -> None:
    found = subsidies(book, NANCHANG_MIGRANT, snapshot)
    henan = found["HN"]
    assert henan.status == "subsidised" and henan.rule_id == "hn_training_subsidy"
    assert henan.out_of_pocket_yuan == 0 and henan.place == "河南省郑州市"
    # 江西's own subsidy rule lapsed at the end of 2025: said so, and the fee is the estimate
    # while national rules are still open.
    jiangxi = found["JX"]
    assert jiangxi.status == "undetermined" and jiangxi.questions
    assert "2025-12-31" in jiangxi.reason and "现行做法请向当地人社部门确认" in jiangxi.reason
    assert jiangxi.out_of_pocket_yuan == 1500
    # 山东's subsidy is for disabled workers only: not claimed, the fee is the estimate.
    shandong = found["SD"]
    assert shandong.status == "undetermined" and shandong.rule_id != "sd_disabled_training_subsidy"
    assert shandong.out_of_pocket_yuan == 1200


def test_an_open_subsidy_gives_the_questions_to_ask(book: RuleBook,
                                                    snapshot: Snapshot) -> None:
    henan = subsidies(book, {"city": "南昌"}, snapshot)["HN"]
    assert henan.status == "undetermined" and henan.out_of_pocket_yuan == 2000
    ask = book.registry.specs["groups"].ask
    assert ask in henan.questions and all(q.startswith("请问") for q in henan.questions)


def test_only_subsidised_programs_and_an_unknown_fee_stays_unknown(
        book: RuleBook, snapshot: Snapshot) -> None:
    found = subsidies(book, NANCHANG_VETERAN, snapshot)
    assert "PAID" not in found
    assert found["NOFEE"].status == "subsidised" and found["NOFEE"].out_of_pocket_yuan is None
    shown = [snapshot.index[pid] for pid in ("HN", "JX", "PAID")]
    assert set(subsidies(book, NANCHANG_VETERAN, snapshot, indices=shown)) == {"HN", "JX"}


class Counting:
    """The real book, counting what the matcher asks of it."""

    def __init__(self, book: RuleBook, amount: str | None = None) -> None:
        self.book = book
        self.amount = amount
        self.calls: Counter[str] = Counter()

    def evaluate(self, rule_id: str, facts: Any, as_of: Any = None) -> Any:
        return self.book.evaluate(rule_id, facts, as_of)

    def assess(self, rule_id: str, facts: Any, as_of: Any = None) -> Any:
        self.calls["assess"] += 1
        item = self.book.assess(rule_id, facts, as_of)
        if self.amount is not None:
            item = dataclasses.replace(item, outcome={**item.outcome, "amount": self.amount})
        return item

    def holds_rules_for(self, place: str, as_of: Any = None) -> bool:
        self.calls["holds"] += 1
        return self.book.holds_rules_for(place, as_of)


class Settled(Counting):
    """Every subsidy rule answered and none granting (as if the counselor had asked all)."""

    def assess(self, rule_id: str, facts: Any, as_of: Any = None) -> Any:
        item = self.book.assess(rule_id, facts, as_of)
        return dataclasses.replace(item, status="not_eligible", verdict="no",
                                   missing_facts=[], questions=[])


def test_no_granting_rule_means_the_full_fee(book: RuleBook, snapshot: Snapshot) -> None:
    found = subsidies(Settled(book), NANCHANG_VETERAN, snapshot)
    assert found["HN"].status == "not_subsidised" and found["HN"].out_of_pocket_yuan == 2000
    assert found["GD"].status == "unknown"


def test_each_program_region_is_judged_once(book: RuleBook, snapshot: Snapshot) -> None:
    counting = Counting(book)
    found = subsidies(counting, NANCHANG_VETERAN, snapshot)
    regions = {(p["province"], p["city"]) for p in PROGRAMS if p.get("subsidized", True)}
    assert len(found) == len([p for p in PROGRAMS if p.get("subsidized", True)])
    assert counting.calls["holds"] == len(regions)
    held = len(regions) - 2  # 广东 and 杭州 are not on file: no rule is asked there
    assert counting.calls["assess"] == held * len(TRAINING_SUBSIDY_RULES)


def test_a_remembered_finding_is_not_judged_again(book: RuleBook, snapshot: Snapshot) -> None:
    """A counselor re-ranking the same worker asks the rule book nothing new; another
    worker is judged afresh."""
    counting = Counting(book)
    memo: dict[tuple[Any, ...], Any] = {}
    first = subsidies(counting, NANCHANG_VETERAN, snapshot, memo=memo)
    asked = counting.calls["assess"]
    again = subsidies(counting, NANCHANG_VETERAN, snapshot, memo=memo)
    assert again == first and asked > 0 and counting.calls["assess"] == asked
    subsidies(counting, {**NANCHANG_VETERAN, "groups": ["农民工"]}, snapshot, memo=memo)
    assert counting.calls["assess"] == 2 * asked


def test_a_rules_stated_share_sets_the_out_of_pocket(book: RuleBook,
                                                     snapshot: Snapshot) -> None:
    found = subsidies(Counting(book, "按培训费的80%给予补贴"), NANCHANG_VETERAN, snapshot)
    assert found["JX"].out_of_pocket_yuan == pytest.approx(300)
    assert found["JX2"].out_of_pocket_yuan == pytest.approx(180)


@pytest.mark.parametrize(("amount", "share"), [
    (None, 0.0), ("按规定", 0.0), ("补贴培训费的80%", 0.2), ("个人自付30%", 0.3),
    ("按培训成本的 100 ％ 补贴", 0.0),
])
def test_paid_share(amount: str | None, share: float) -> None:
    assert paid_share(amount) == pytest.approx(share)
