"""Question forms and clause shapes (corpus/clause_shape.py) on minimal pairs written for
this test (tests/data/clause_shapes.yaml): each pair differs in the one thing that should
change the detected form or shape, so a word list that over- or under-reaches shows up."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from corpus.clause_shape import (
    TABLE_FILE,
    clause_shapes,
    load_table,
    question_forms,
    with_slots,
)
from corpus.normalize import search_text
from corpus.search import _shape_rerank

CASES = yaml.safe_load((Path(__file__).parent / "data" / "clause_shapes.yaml")
                       .read_text(encoding="utf-8"))
QUESTIONS = [(part, *q) for part in ("dev", "held_out") for q in CASES[part]["questions"]]
CLAUSES = [(part, *c) for part in ("dev", "held_out") for c in CASES[part]["clauses"]]


@pytest.mark.parametrize(("part", "question", "forms"), QUESTIONS,
                         ids=[f"{p}:{q}" for p, q, _ in QUESTIONS])
def test_question_forms(part: str, question: str, forms: list[str]) -> None:
    assert question_forms(search_text(question)) == frozenset(forms)


@pytest.mark.parametrize(("part", "clause", "present", "absent"), CLAUSES,
                         ids=[f"{p}:{c[:12]}" for p, c, *_ in CLAUSES])
def test_clause_shapes(part: str, clause: str, present: list[str], absent: list[str]) -> None:
    shapes = clause_shapes(search_text(clause))
    assert set(present) <= shapes
    assert not set(absent) & shapes


def test_table_is_well_formed() -> None:
    """Every shape has a form and at least one way to be detected; forms are non-empty."""
    table = load_table(TABLE_FILE)
    raw = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    assert "Provenance" in TABLE_FILE.read_text(encoding="utf-8")
    assert set(raw["shapes"]) <= set(raw["forms"])
    for name, words in table.forms.items():
        assert words and all(isinstance(w, str) and w for w in words), name
    for name in raw["shapes"]:
        assert table.markers[name] or name in table.quantities or name in table.enumeration


@pytest.mark.parametrize(("table_text", "named"), [
    ("forms: {amount: [多少]}\nshapes: {time: {markers: [施行]}}\n", "time"),  # no form
    ("forms: {time: [何时]}\nshapes: {time: {markers: [施行], slot: 0}}\n", "slot"),
])
def test_a_malformed_table_is_refused(tmp_path: Path, table_text: str, named: str) -> None:
    bad = tmp_path / "shapes.yaml"
    bad.write_text(table_text, encoding="utf-8")
    with pytest.raises(ValueError, match=named):
        load_table(bad)


def test_rerank_lifts_a_matching_clause_and_leaves_open_questions_alone() -> None:
    fused = {0: 1.0, 1: 0.9}
    shapes = {0: frozenset(), 1: frozenset({"amount"})}.__getitem__
    lifted = _shape_rerank(fused, frozenset({"amount"}), shapes, 0.15)
    assert max(lifted, key=lifted.__getitem__) == 1
    assert _shape_rerank(fused, frozenset(), shapes, 0.15) == fused


def test_a_slotted_shape_is_shown_at_its_slot_however_far_down_it_ranks() -> None:
    """「能按河南这个条例领…吗」 from 武汉: the scope article shares none of the claim's words."""
    shapes = {0: frozenset(), 1: frozenset(), 2: frozenset(), 3: frozenset({"applicability"})}
    ranked = [0, 1, 2, 3]
    assert with_slots(ranked, frozenset({"applicability"}), shapes.__getitem__) == [0, 3, 1, 2]
    assert with_slots(ranked, frozenset({"amount"}), shapes.__getitem__) == ranked
    assert with_slots(ranked, frozenset(), shapes.__getitem__) == ranked


def test_the_slot_goes_to_the_scope_article_of_the_document_the_asker_means() -> None:
    """Two documents on file each have a scope article; the first hit's document is the one
    asked about (「能按郑州这个用工条例要生活费吗」 finds 用工条例's wage article first)."""
    shapes = {0: frozenset(), 1: frozenset({"applicability"}), 2: frozenset(),
              3: frozenset({"applicability"})}
    docs = {0: "用工条例", 1: "失业保险条例", 2: "用工条例", 3: "用工条例"}
    ranked = [0, 2, 1, 3]
    assert with_slots(ranked, frozenset({"applicability"}), shapes.__getitem__,
                      docs.__getitem__) == [0, 3, 2, 1]
    assert with_slots(ranked, frozenset({"applicability"}), shapes.__getitem__) == [0, 1, 2, 3]
