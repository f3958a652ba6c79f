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


def test_a_wrong_no_is_counted_among_the_yes_questions() -> None:
    rows = [_row("yes", "no"), _row("yes", "conditional"), _row("yes", "yes"),
            _row("yes", None), _row("no", "no"), _row("conditional", "no")]
    got = figures(rows)
    # 「不可以」 to one of the four 「可以」 questions; the abstention is no verdict at all,
    # and a 「不可以」 to a "depends" question is another error
    assert got["false_no"] == 0.25
    assert figures([_row("no", "no")])["false_no"] is None
