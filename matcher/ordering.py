"""The order of eligible programs before diversity: what was asked for, near, enterable.

1. Programs of an occupation the worker named come first, those at the level they named
   before other levels ("想学电工" is not outweighed by a brand elsewhere).
2. Within that, near before far (``locality``): local, then in-province, then elsewhere.
3. Among programs of occupations the worker did not name, those they can surely enter
   before those needing confirmation (a 技师 class wanting a 三级 certificate does not lead
   a walk-in's list on the strength of a shortage listing).
4. Within that, by score.
5. A program whose 报名条件 needs confirmation is then moved below every enterable program
   of the same occupation, wherever that one stands: a counselor offers the class the worker
   can surely join before the one that may turn them away.
"""

from __future__ import annotations

import numpy as np

from matcher.enterability import CONFIRM, YES

NAMED_LEVEL, NAMED, OTHER = 0, 1, 2  # the ``group`` of a program


def ranked(candidates: np.ndarray, total: np.ndarray, group: np.ndarray, tier: np.ndarray,
           occupation: np.ndarray, enterable: np.ndarray) -> np.ndarray:
    """``candidates`` (program indices) in order. ``group``: NAMED_LEVEL, NAMED or OTHER;
    ``occupation`` an integer id per program."""
    unsure_other = (group[candidates] == OTHER) & (enterable[candidates] == CONFIRM)
    order = candidates[np.lexsort((candidates, -total[candidates], unsure_other,
                                   tier[candidates], group[candidates]))]
    return _confirm_after_enterable(order, occupation, enterable)


def _confirm_after_enterable(order: np.ndarray, occupation: np.ndarray,
                             enterable: np.ndarray) -> np.ndarray:
    status = enterable[order]
    if not (status == CONFIRM).any():
        return order
    occ = occupation[order]
    position = np.arange(len(order), dtype=np.float64)
    last_yes = np.full(int(occupation.max()) + 1, -1.0)
    yes = status == YES
    np.maximum.at(last_yes, occ[yes], position[yes])
    moved = np.where(status == CONFIRM, np.maximum(position, last_yes[occ] + 0.5), position)
    return order[np.argsort(moved, kind="stable")]
