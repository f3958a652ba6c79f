"""The team's written questions (assistant/data/team_qa) are valid data, and the shipped
models were trained on exactly them and keep their held-out promises."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.reading.model import load
from assistant.reading.train import TEAM_QA, load_team

TEXTS = Path(__file__).resolve().parents[1] / "corpus" / "texts"
TYPES = {"eligibility", "followup", "number", "procedure", "definition", "deadline",
         "unanswerable"}
VERDICTS = {"yes", "no", "conditional", "n/a"}
REASONS = {"grant", "meets_condition", "fails_condition", "prohibition", "sequence",
           "other_place", "other_beneficiary", "not_permanent_or_not_all",
           "conditions_unstated", "n/a"}
ITEMS = load_team()


def test_the_team_set_is_large_and_balanced() -> None:
    assert len(ITEMS) >= 1500
    verdicts = [i["verdict"] for i in ITEMS]
    for v in ("yes", "no", "conditional"):
        assert verdicts.count(v) >= 250, v
    assert sum(i["type"] == "unanswerable" for i in ITEMS) >= 250
    assert len({i["id"] for i in ITEMS}) == len(ITEMS)


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_every_item_is_well_formed_and_quotes_its_document(item: dict) -> None:
    assert item["type"] in TYPES and item["verdict"] in VERDICTS
    assert item.get("reason", "n/a") in REASONS
    assert item["lang"] in ("zh-Hans", "zh-Hant") and item["question"].strip()
    if item["type"] == "followup":
        assert item.get("context")
    if item["doc"] is None:
        assert item["type"] == "unanswerable" and not item["evidence"]
        return
    text = (TEXTS / item["doc"]).read_text(encoding="utf-8")
    assert item["evidence"] and all(e in text for e in item["evidence"])


def test_the_shipped_models_were_trained_on_this_data() -> None:
    files = sorted(TEAM_QA.glob("*.jsonl"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:16]
    for name in ("verdict", "answerable", "rerank"):
        model = load(name)
        assert model is not None, name
        assert model.meta["trained_on"]["team_qa_sha256"] == digest, \
            f"{name}: retrain with python -m assistant.reading.train"


def test_held_out_figures_keep_the_safety_promises() -> None:
    """A wrong 「可以」 is the worst error; refusing an answerable question the next."""
    verdict, answerable = load("verdict"), load("answerable")
    assert verdict.meta["held_out"]["false_yes"] <= 0.05
    assert verdict.meta["cross_validated"]["false_yes"] <= 0.05
    assert answerable.meta["held_out"]["refused"] <= 0.05
    assert answerable.meta["cross_validated"]["refused"] <= 0.05


def test_a_model_file_round_trips(tmp_path: Path) -> None:
    from assistant.reading.model import LinearModel, save

    model = LinearModel("m", ["a", "b"], ["x"], [[2.0]], [-1.0], {"threshold": 0.5})
    save(model, tmp_path)
    loaded = load.__wrapped__("m", tmp_path)
    assert loaded.probabilities({"x": 1.0})["b"] == pytest.approx(1 / (1 + 2.718281828 ** -1))
    assert json.loads((tmp_path / "m.json").read_text())["meta"]["threshold"] == 0.5
