"""The shared vocabulary of worker groups, skill levels and physical limits, loaded from
validated data.

``groups.yaml``, ``levels.yaml`` and ``physical_limits.yaml`` beside this module are the
only lists of groups, levels and physical limits in the product. Everything that needs them
derives from here: the profile parser (``corpus/domain/profile.py``), the eligibility rules'
fact registry, the chat reader (``assistant/facts.py``), the quick-reply chips, the matcher
and the catalog importer. So
"农村妇女" means 妇女 to the matcher and to the eligibility check alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from corpus.normalize import normal_form

HERE = Path(__file__).parent
GROUPS_FILE = HERE / "groups.yaml"
LEVELS_FILE = HERE / "levels.yaml"
LIMITS_FILE = HERE / "physical_limits.yaml"

EMPLOYMENT_STATUSES = ("employed", "unemployed", "student", "graduate_unemployed",
                       "self_employed", "flexible")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(phrases: list[str]) -> list[str]:
    for phrase in phrases:
        try:
            re.compile(phrase)
        except re.error as error:
            raise ValueError(f"cue {phrase!r} is not a valid regular expression: {error}") from None
    return phrases


class GroupSpec(_Strict):
    label: str | None = None
    short: str | None = None
    status: str | None = None
    nouns: list[str] = Field(min_length=1)
    says: list[str] = Field(default_factory=list)

    @field_validator("nouns", "says")
    @classmethod
    def _cues(cls, phrases: list[str]) -> list[str]:
        return _compiles(phrases)

    @field_validator("status")
    @classmethod
    def _known_status(cls, status: str | None) -> str | None:
        if status is not None and status not in EMPLOYMENT_STATUSES:
            raise ValueError(f"status {status!r} is not one of {EMPLOYMENT_STATUSES}")
        return status


class GroupFile(_Strict):
    offered: list[str] = Field(min_length=1)
    groups: dict[str, GroupSpec] = Field(min_length=1)
    status: dict[str, list[str]] = Field(default_factory=dict)
    exclusive: list[list[str]] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> GroupFile:
        unknown = [g for g in self.offered if g not in self.groups]
        if unknown:
            raise ValueError(f"offered lists unknown groups {unknown}")
        for family in self.exclusive:
            unknown = [g for g in family if g not in self.groups]
            if unknown:
                raise ValueError(f"exclusive lists unknown groups {unknown}")
        for status, phrases in self.status.items():
            if status not in EMPLOYMENT_STATUSES:
                raise ValueError(f"status {status!r} is not one of {EMPLOYMENT_STATUSES}")
            _compiles(phrases)
        _compiles(self.ignore)
        for name, spec in self.groups.items():
            if name not in spec.nouns:
                raise ValueError(f"group {name!r} must list its own name among its nouns")
        return self


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    kind: str  # "noun", "say" or "ignore"
    group: str | None  # a group, or None for a status phrase or an ignore phrase
    status: str | None  # the employment_status it implies


@dataclass(frozen=True)
class CueHit:
    start: int
    end: int
    cue: Cue


@dataclass(frozen=True)
class GroupVocabulary:
    names: tuple[str, ...]  # the controlled vocabulary, in the data file's order
    offered: tuple[str, ...]  # the one-tap choices, most common first
    labels: dict[str, str]
    shorts: dict[str, str]
    statuses: dict[str, str]  # group → the employment_status it implies
    cues: tuple[Cue, ...]
    exclusive: tuple[frozenset[str], ...]

    def label(self, group: str) -> str:
        return self.labels.get(group, group)

    def short(self, group: str) -> str:
        return self.shorts.get(group, group)

    def hits(self, text: str) -> list[CueHit]:
        """Every cue in ``text`` (normal form); overlapping cues: the longest, then the
        earliest, wins."""
        found = [CueHit(m.start(), m.end(), cue)
                 for cue in self.cues for m in cue.pattern.finditer(text) if m.end() > m.start()]
        found.sort(key=lambda h: (h.start - h.end, h.start))
        taken: list[CueHit] = []
        for hit in found:
            if all(hit.end <= t.start or hit.start >= t.end for t in taken):
                taken.append(hit)
        return sorted(taken, key=lambda h: h.start)

    def canonical(self, word: str) -> list[str]:
        """The groups a profile entry or a counselor's word names: the exact name, a label,
        or the groups its cues name ("农村妇女" → 妇女, "下岗工人" → 城镇登记失业人员)."""
        word = normal_form(word).strip()
        if word in self.names:
            return [word]
        for name, label in self.labels.items():
            if word == label:
                return [name]
        out: list[str] = []
        for hit in self.hits(word):
            if hit.cue.group and hit.cue.group not in out:
                out.append(hit.cue.group)
        return out


@lru_cache(maxsize=1)
def groups() -> GroupVocabulary:
    data = GroupFile.model_validate(yaml.safe_load(GROUPS_FILE.read_text(encoding="utf-8")))
    cues: list[Cue] = []
    for name, spec in data.groups.items():
        for kind, phrases in (("noun", spec.nouns), ("say", spec.says)):
            cues.extend(Cue(re.compile(normal_form(p)), kind, name, spec.status) for p in phrases)
    for status, phrases in data.status.items():
        cues.extend(Cue(re.compile(normal_form(p)), "say", None, status) for p in phrases)
    cues.extend(Cue(re.compile(normal_form(p)), "ignore", None, None) for p in data.ignore)
    return GroupVocabulary(
        names=tuple(data.groups),
        offered=tuple(data.offered),
        labels={n: s.label for n, s in data.groups.items() if s.label},
        shorts={n: s.short for n, s in data.groups.items() if s.short},
        statuses={n: s.status for n, s in data.groups.items() if s.status},
        cues=tuple(cues),
        exclusive=tuple(frozenset(f) for f in data.exclusive),
    )


# ------------------------------------------------------------------------------ levels


class LevelSpec(_Strict):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class LevelFile(_Strict):
    ladder: list[LevelSpec] = Field(min_length=1)
    off_ladder: list[LevelSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unambiguous(self) -> LevelFile:
        seen: dict[str, str] = {}
        for spec in [*self.ladder, *self.off_ladder]:
            for word in (spec.code, spec.name, *spec.aliases):
                key = spelling_key(word)
                if seen.setdefault(key, spec.code) != spec.code:
                    raise ValueError(f"level spelling {word!r} names both {seen[key]} and "
                                     f"{spec.code}")
        return self


def spelling_key(value: str) -> str:
    """A table spelling's lookup key: no spaces, half-width slash and brackets."""
    return (re.sub(r"\s+", "", value).replace("／", "/").replace("（", "(").replace("）", ")"))


@dataclass(frozen=True)
class LevelVocabulary:
    ladder: tuple[str, ...]  # codes from lowest (五级) to highest (一级)
    names: dict[str, str]  # code → display name, ladder first
    spellings: dict[str, str]  # every known spelling (keyed) → code

    def code(self, value: str) -> str | None:
        """The canonical level ("四级") a spelling names, or None."""
        return self.spellings.get(spelling_key(value or ""))

    def rank(self, code: str | None) -> int | None:
        """0 for 五级 … 4 for 一级; None off the ladder."""
        return self.ladder.index(code) if code in self.ladder else None

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def pattern(self) -> str:
        """A regex alternation of every spelling, longest first (for readers of free text)."""
        words = {w for w in self.spellings if "/" not in w and "(" not in w}
        return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@lru_cache(maxsize=1)
def levels() -> LevelVocabulary:
    data = LevelFile.model_validate(yaml.safe_load(LEVELS_FILE.read_text(encoding="utf-8")))
    specs = [*data.ladder, *data.off_ladder]
    spellings = {spelling_key(w): s.code for s in specs for w in (s.code, s.name, *s.aliases)}
    return LevelVocabulary(
        ladder=tuple(s.code for s in data.ladder),
        names={s.code: s.name for s in specs},
        spellings=spellings,
    )


# ------------------------------------------------------------------------------ physical limits


class LimitSpec(_Strict):
    code: str = Field(pattern=r"^[a-z_]+$")
    label: str = Field(min_length=2)
    aliases: list[str] = Field(default_factory=list)


class LimitFile(_Strict):
    limits: list[LimitSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unambiguous(self) -> LimitFile:
        seen: dict[str, str] = {}
        for spec in self.limits:
            for word in (spec.code, spec.label, *spec.aliases):
                key = limit_key(word)
                if not key:
                    raise ValueError(f"limit {spec.code!r} has an empty spelling")
                if seen.setdefault(key, spec.code) != spec.code:
                    raise ValueError(f"limit spelling {word!r} names both {seen[key]} and "
                                     f"{spec.code}")
        return self


def limit_key(value: str) -> str:
    """A limit spelling's lookup key: normal form (NFKC, Simplified), no spaces."""
    return re.sub(r"\s+", "", normal_form(value or ""))


@dataclass(frozen=True)
class LimitVocabulary:
    codes: tuple[str, ...]  # in the data file's order
    labels: dict[str, str]  # code → 不能久站 …
    spellings: dict[str, str]  # every spelling (keyed) → code

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def code(self, value: str) -> str | None:
        """The limit a profile entry names: an exact spelling, else the one limit whose
        spellings occur in the sentence (「腰不好，不能久站」); None when none or several do."""
        key = limit_key(value)
        if key in self.spellings:
            return self.spellings[key]
        found = {code for word, code in self.spellings.items() if word in key}
        return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def physical_limits() -> LimitVocabulary:
    data = LimitFile.model_validate(yaml.safe_load(LIMITS_FILE.read_text(encoding="utf-8")))
    return LimitVocabulary(
        codes=tuple(s.code for s in data.limits),
        labels={s.code: s.label for s in data.limits},
        spellings={limit_key(w): s.code for s in data.limits
                   for w in (s.code, s.label, *s.aliases)},
    )
