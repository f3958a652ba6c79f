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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TABLE_FILE = Path(__file__).parent / "lexicon" / "clause_shapes.yaml"
# A number in digits or Chinese numerals; a unit from the table must follow it at once.
NUMBER = r"(?:\d+(?:\.\d+)?|[零〇一二三四五六七八九十百千万两]+)"
# A form word written 「这个…条例」 matches 这个条例 and 这个用工条例: "…" stands for a few
# characters of the same clause, the words a worker puts between (a place, a kind).
GAP = "…"
_GAP_PATTERN = r"[^，,。？?！!；;：:\s]{0,6}"


@dataclass(frozen=True)
class ShapeTable:
    forms: dict[str, tuple[str, ...]]
    form_patterns: dict[str, re.Pattern[str]]
    markers: dict[str, tuple[str, ...]]
    quantities: dict[str, re.Pattern[str]]
    enumeration: dict[str, tuple[tuple[str, ...], int]]
    # a shape whose best clause is placed at this rank or higher when the question has the
    # form: the scope article shares no words with what the asker wants done under it
    slots: dict[str, int]


def load_table(path: Path = TABLE_FILE) -> ShapeTable:
    """Read and check the table: every shape is also a form, every list non-empty."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    forms = {name: tuple(words) for name, words in raw["forms"].items()}
    markers: dict[str, tuple[str, ...]] = {}
    quantities: dict[str, re.Pattern[str]] = {}
    enumeration: dict[str, tuple[tuple[str, ...], int]] = {}
    slots: dict[str, int] = {}
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
        if "slot" in spec:
            slots[name] = int(spec["slot"])
            if slots[name] < 1:
                raise ValueError(f"clause shape {name!r}: slot must be 1 or more")
    patterns = {name: re.compile("|".join(_form_word(w) for w in words))
                for name, words in forms.items()}
    return ShapeTable(forms, patterns, markers, quantities, enumeration, slots)


def _form_word(word: str) -> str:
    return _GAP_PATTERN.join(re.escape(part) for part in word.split(GAP))


@lru_cache(maxsize=1)
def table() -> ShapeTable:
    return load_table()


def question_forms(question: str) -> frozenset[str]:
    """The forms a (normalised) question is asked in; empty for an open question."""
    return frozenset(name for name, pattern in table().form_patterns.items()
                     if pattern.search(question))


def clause_shapes(text: str) -> frozenset[str]:
    """The shapes a (normalised) clause has: amounts, dates/periods, lists of persons,
    procedure, penalty, prohibition."""
    t = table()
    found = {name for name, words in t.markers.items() if any(w in text for w in words)}
    found |= {name for name, pattern in t.quantities.items() if pattern.search(text)}
    found |= {name for name, (items, least) in t.enumeration.items()
              if sum(item in text for item in items) >= least}
    return frozenset(found)


def with_slots(ranked: list[int], forms: frozenset[str],
               shapes: Callable[[int], frozenset[str]],
               document: Callable[[int], str] | None = None) -> list[int]:
    """``ranked`` with, for each of the question's forms that has a slot, the best clause of
    that shape moved up to the slot's rank: of the first hit's document when it has one
    among ``ranked``, since that is the document the asker means. 「能按河南这个条例领失业金吗」
    from 武汉 asks two things: whether one can claim, and whether 河南's rules reach a worker
    in 湖北. The claim's articles hold every word of the question; the scope article (第二条
    本省行政区域内…) holds none of them, and no bonus lifts it past them."""
    out = list(ranked)
    if not out:
        return out
    lead = document(out[0]) if document else None
    for form in sorted(forms):
        slot = table().slots.get(form)
        if slot is None:
            continue
        shaped = [j for j, i in enumerate(out) if form in shapes(i)]
        mine = [j for j in shaped if document and document(out[j]) == lead]
        best = (mine or shaped or [None])[0]
        if best is not None and best >= slot:
            out.insert(slot - 1, out.pop(best))
    return out
