"""Question forms and clause shapes: what kind of clause a question asks for.

Vocabulary changes from region to region (a worker's 「补多少」 against a text's 「补贴标准
…上浮25%」), but the *form* of a question does not: 「多少」 is answered by a clause with
an amount, 「什么时候」 by one with a date or period, 「哪些人」 by a list of persons,
「怎么申请」 by a procedure, 「罚」 by a penalty. Matching form to shape therefore carries
over to texts nobody tuned the lexicon for. Words and markers are data
(``lexicon/clause_shapes.yaml``); this module only applies them. Both functions take the
normalised search form (``normalize.search_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TABLE_FILE = Path(__file__).parent / "lexicon" / "clause_shapes.yaml"
# A number in digits or Chinese numerals; a unit from the table must follow it at once.
NUMBER = r"(?:\d+(?:\.\d+)?|[零〇一二三四五六七八九十百千万两]+)"


@dataclass(frozen=True)
class ShapeTable:
    forms: dict[str, tuple[str, ...]]
    markers: dict[str, tuple[str, ...]]
    quantities: dict[str, re.Pattern[str]]
    enumeration: dict[str, tuple[tuple[str, ...], int]]


def load_table(path: Path = TABLE_FILE) -> ShapeTable:
    """Read and check the table: every shape is also a form, every list non-empty."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    forms = {name: tuple(words) for name, words in raw["forms"].items()}
    markers: dict[str, tuple[str, ...]] = {}
    quantities: dict[str, re.Pattern[str]] = {}
    enumeration: dict[str, tuple[tuple[str, ...], int]] = {}
    for name, spec in raw["shapes"].items():
        if name not in forms:
            raise ValueError(f"clause shape {name!r} has no question form")
        markers[name] = tuple(spec.get("markers") or ())
        if units := spec.get("units"):
            # longest unit first, so 万元 wins over 元 and 个月 over 月
            alts = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
            quantities[name] = re.compile(f"{NUMBER}(?:{alts})")
        if items := spec.get("enumeration"):
            enumeration[name] = (tuple(items), int(spec.get("min_enumeration", 2)))
    return ShapeTable(forms, markers, quantities, enumeration)


@lru_cache(maxsize=1)
def table() -> ShapeTable:
    return load_table()


def question_forms(question: str) -> frozenset[str]:
    """The forms a (normalised) question is asked in; empty for an open question."""
    return frozenset(name for name, words in table().forms.items()
                     if any(w in question for w in words))


def clause_shapes(text: str) -> frozenset[str]:
    """The shapes a (normalised) clause has: amounts, dates/periods, lists of persons,
    procedure, penalty, prohibition."""
    t = table()
    found = {name for name, words in t.markers.items() if any(w in text for w in words)}
    found |= {name for name, pattern in t.quantities.items() if pattern.search(text)}
    found |= {name for name, (items, least) in t.enumeration.items()
              if sum(item in text for item in items) >= least}
    return frozenset(found)
