"""The answer-evaluation figures, on hand-made rows whose counts are known."""

from __future__ import annotations

from assistant.evaluation import figures


def _row(expected: str, given: str | None) -> dict:
    return {"error": None, "answerable": True, "abstained": given is None, "covered": True,
            "expected_verdict": expected, "verdict": given, "length": 20, "script_ok": True}


def test_both_kinds_of_wrong_yes_are_counted_apart() -> None:
    rows = [_row("no", "yes"), _row("no", "no"), _row("no", "conditional"), _row("no", "no"),
            _row("conditional", "yes"), _row("conditional", "yes"),
            _row("conditional", "conditional"), _row("yes", "yes")]
    got = figures(rows)
    assert got["false_yes"] == 0.25  # one "no" question of four answered 「可以」
    assert got["yes_on_conditional"] == round(2 / 3, 4)
    assert got["verdict"] == round(4 / 8, 4)
