"""The word lists of ``cues.yaml``, validated and compiled once per process.

A list is data (literal words, each with the reason it exists), so a reviewer can read
what the readers look for without reading regular expressions, and a test can check
every list against its cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from corpus.errors import InvalidInput
from corpus.normalize import search_text

CUES_FILE = Path(__file__).with_name("cues.yaml")
_META = re.compile(r"[\\^$.|?*+()\[\]{}]")


@dataclass(frozen=True)
class CueList:
    name: str
    why: str
    words: tuple[str, ...]
    pattern: re.Pattern[str]

    def find(self, text: str) -> list[str]:
        """The list's words found in ``text`` (search form), longest match first."""
        return [m.group(0) for m in self.pattern.finditer(text)]

    def any(self, text: str) -> bool:
        return self.pattern.search(text) is not None


def _compile(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def validate(data: object) -> dict[str, dict[str, CueList]]:
    """Every list non-empty, its words unique, literal and already in search form."""
    if not isinstance(data, dict):
        raise InvalidInput("cues.yaml 应为映射。", code="bad_cues")
    out: dict[str, dict[str, CueList]] = {}
    for side, lists in data.items():
        if not isinstance(lists, dict):
            raise InvalidInput(f"cues.yaml：{side} 应为映射。", code="bad_cues")
        out[side] = {}
        for name, spec in lists.items():
            words = tuple(str(w) for w in (spec or {}).get("words") or [])
            why = str((spec or {}).get("why") or "")
            problems = [w for w in words if not w or _META.search(w) or search_text(w) != w]
            if not words or not why or problems or len(set(words)) != len(words):
                raise InvalidInput(f"cues.yaml：{side}.{name} 不合规：{problems or '空或重复'}",
                                   code="bad_cues", detail={"list": f"{side}.{name}"})
            out[side][name] = CueList(name, why, words, _compile(words))
    return out


@lru_cache(maxsize=1)
def cues() -> dict[str, dict[str, CueList]]:
    return validate(yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")))


def clause_cue(name: str) -> CueList:
    return cues()["clause"][name]


def question_cue(name: str) -> CueList:
    return cues()["question"][name]
