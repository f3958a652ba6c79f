"""What the worker asked for by name: occupations and, when stated, the level.

"焊工三级" names 焊工 at 三级/高级工; "想学电焊" names 焊工 at any level. Only outright
names count (synonym table, official names and aliases: ``OccupationResolver.named``):
an embedding guess is a fit, not a request, and never triggers "nothing nearby".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpus.domain.vocabulary import levels
from corpus.normalize import search_text
from matcher.occupations import OccupationResolver
from matcher.snapshot import Snapshot

MAX_NAMED = 5  # occupations a text may name (synonyms can fan out: 电商 → 3 occupations)


@dataclass(frozen=True)
class Interest:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    ranks: frozenset[int]  # ladder levels named (0 = 五级 … 4 = 一级); empty: any

    @classmethod
    def of(cls, text: str) -> Interest:
        named = OccupationResolver.named(text)[:MAX_NAMED]
        return cls(tuple(r.code for r in named), tuple(r.name for r in named),
                   levels_named(text) if named else frozenset())

    def level_ok(self, s: Snapshot) -> np.ndarray:
        """Programs at a level the worker named (all of them when none was named)."""
        if not self.ranks:
            return np.ones(len(s), dtype=bool)
        return np.isin(s.level_rank, sorted(self.ranks))

    def level_name(self) -> str:
        return "、".join(levels().ladder[r] for r in sorted(self.ranks))


@lru_cache(maxsize=1)
def _level_words() -> re.Pattern[str]:
    return re.compile(levels().pattern())


def levels_named(text: str) -> frozenset[int]:
    found = {levels().rank(levels().code(m.group()))
             for m in _level_words().finditer(search_text(text or ""))}
    return frozenset(r for r in found if r is not None)
