"""The serving rule from the verdict model's probabilities to a verdict, shared by the
answer path and by training (which chooses the two thresholds on cross-validation)."""

from __future__ import annotations

from collections.abc import Mapping


def verdict_of(probs: Mapping[str, float], yes_min: float, no_min: float = 0.0,
               figure_fails: bool = False) -> str:
    """「可以」 only at ``yes_min`` or above, because a wrong yes is the worst error; 「不可以」
    when a figure the asker stated fails the clause's limit (合格率88% against 90%: one
    unmet condition settles it), or at ``no_min`` or above and likelier than both "yes" and
    "it depends", because a wrong no turns a worker away from help; otherwise 「要看条件」
    with the conditions and a follow-up. A question the model leans "yes" on without being
    sure is never answered 「不可以」."""
    if probs.get("yes", 0.0) >= yes_min:
        return "yes"
    no = probs.get("no", 0.0)
    if figure_fails or (no >= no_min and no >= max(probs.get("conditional", 0.0),
                                                   probs.get("yes", 0.0))):
        return "no"
    return "conditional"
