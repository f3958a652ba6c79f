"""A program's 报名条件 read into routes the matcher can check against a worker.

Job centers write conditions as free text: "已取得四级/中级工证书", "持有焊工四级证书",
"取得本职业五级证书后，累计从事本职业工作4年以上", "具备以下条件之一：(1)…(2)…". Finding a
level word is not enough: the certificate may be another occupation's, a text may offer
several routes (any one suffices), and some conditions (years of work) are not in the
profile at all. A text is read into ``Route``s; each route lists what it asks (a
certificate of an occupation at a level, schooling, an age, work experience) and keeps
whatever text could not be read, so the matcher says 「请确认」 instead of guessing.

The words live in ``data/prerequisites.yaml`` (validated at load); the ladder of levels in
``corpus/domain/levels.yaml``; occupations are found by the occupation resolver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from corpus.domain.vocabulary import levels
from corpus.normalize import search_text
from matcher.occupations import OccupationResolver, synonym_table
from matcher.reference import classification

DATA = Path(__file__).parent / "data" / "prerequisites.yaml"
_PUNCTUATION = re.compile(r"[\W\d_]+")


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"pattern {pattern!r} does not compile: {error}") from None
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Education(_Strict):
    ladder: list[list[str]] = Field(min_length=1)
    after: str
    specific: list[str] = Field(default_factory=list)

    @field_validator("specific")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        return _compiles(patterns)

    @field_validator("after")
    @classmethod
    def _after(cls, pattern: str) -> str:
        return _compiles([pattern])[0]


class _Spec(_Strict):
    none: list[str] = Field(min_length=1)
    presumed: list[str]
    own_occupation: list[str] = Field(min_length=1)
    related_occupation: list[str]
    certificate: list[str] = Field(min_length=1)
    at_least: list[str]
    alternative: list[str] = Field(min_length=1)
    one_of: list[str]
    item_marks: list[str]
    experience: list[str]
    education: _Education
    age: list[str]
    filler: list[str]

    @field_validator("presumed", "own_occupation", "related_occupation", "certificate",
                     "at_least", "alternative", "one_of", "item_marks", "experience", "age",
                     "filler")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        return _compiles(patterns)

    @model_validator(mode="after")
    def _ages(self) -> _Spec:
        for item in self.age:
            if not {"low", "high"} & set(re.compile(item).groupindex):
                raise ValueError(f"age pattern {item!r} names neither `low` nor `high`")
        return self


@dataclass(frozen=True)
class Vocabulary:
    none: frozenset[str]
    presumed: re.Pattern[str]
    own_related: re.Pattern[str]
    own: re.Pattern[str]
    related: re.Pattern[str]
    certificate: re.Pattern[str]
    at_least: re.Pattern[str]
    alternative: re.Pattern[str]
    protected: re.Pattern[str]  # phrases an alternative word inside does not split
    one_of: re.Pattern[str]
    items: re.Pattern[str]
    experience: re.Pattern[str]
    education: re.Pattern[str]
    education_ladder: dict[str, int]
    education_names: tuple[str, ...]
    education_specific: re.Pattern[str]
    age: tuple[re.Pattern[str], ...]
    level: re.Pattern[str]
    filler: re.Pattern[str]


def _alternation(patterns: list[str]) -> str:
    """One regex of the patterns, tried in the data file's order (longest phrases first)."""
    return "|".join(f"(?:{p})" for p in patterns)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    spec = _Spec.model_validate(yaml.safe_load(DATA.read_text(encoding="utf-8")))
    norm = [search_text(p) for p in spec.presumed]
    school = spec.education
    words = sorted({search_text(w) for step in school.ladder for w in step}, key=len,
                   reverse=True)
    own, related = _alternation(spec.own_occupation), _alternation(spec.related_occupation)
    cert, alt = _alternation(spec.certificate), _alternation(spec.alternative)
    # "本职业或相关职业", "职业资格证书或职业技能等级证书": one phrase each, not two routes.
    own_related = f"(?:{own})(?:{alt}|、|和|及)(?:{related})"
    certificates = f"(?:{cert})(?:(?:{alt}|/|、)(?:{cert}))*"
    protected = f"{own_related}|{certificates}|{_alternation(spec.at_least)}"
    return Vocabulary(
        none=frozenset(search_text(w) for w in spec.none),
        presumed=re.compile(_alternation(norm)),
        own_related=re.compile(own_related), own=re.compile(own), related=re.compile(related),
        certificate=re.compile(certificates),
        at_least=re.compile(_alternation(spec.at_least)),
        alternative=re.compile(alt), protected=re.compile(protected),
        one_of=re.compile(_alternation(spec.one_of)),
        items=re.compile(_alternation([*spec.item_marks, "；", ";"])),
        experience=re.compile(_alternation(spec.experience)),
        education=re.compile(f"(?P<level>{'|'.join(map(re.escape, words))}){school.after}"),
        education_ladder={search_text(w): rank for rank, step in enumerate(school.ladder)
                          for w in step},
        education_names=tuple(step[0] for step in school.ladder),
        education_specific=re.compile(_alternation(school.specific) or "(?!x)x"),
        age=tuple(re.compile(p) for p in spec.age),
        level=re.compile(levels().pattern()),
        filler=re.compile(_alternation(spec.filler)),
    )


@dataclass(frozen=True)
class Route:
    """One way into a program; every condition of the route must hold."""

    certificate: bool = False  # a certificate is required
    occupation_code: str | None = None  # its occupation; None: the program's own
    occupation_name: str | None = None
    rank: int | None = None  # the minimum ladder level (0 = 五级 … 4 = 一级); None: any
    related: bool = False  # a related occupation's certificate is admitted
    education: int | None = None  # minimum schooling, a step of the education ladder
    min_age: int | None = None
    max_age: int | None = None
    experience: bool = False  # years of work the profile does not record
    unread: str = ""  # what could not be read (or needs a person: 本专业, several occupations)

    @property
    def empty(self) -> bool:
        return not (self.certificate or self.education is not None or self.experience
                    or self.min_age is not None or self.max_age is not None or self.unread)


@dataclass(frozen=True)
class Requirement:
    text: str
    routes: tuple[Route, ...]  # any one suffices; empty: no condition

    @property
    def names_certificate(self) -> bool:
        return any(r.certificate for r in self.routes)


def education_rank(value: str | None) -> int | None:
    """A profile's ``education`` ("技校", "大专") as a step of the education ladder."""
    return vocabulary().education_ladder.get(search_text(value or "").strip())


def education_name(rank: int) -> str:
    return vocabulary().education_names[rank]


@lru_cache(maxsize=4096)
def read(text: str | None) -> Requirement:
    """The routes of one 报名条件 text (cached: catalogs repeat a few texts many times)."""
    raw = (text or "").strip()
    norm = search_text(raw)
    v = vocabulary()
    if not _PUNCTUATION.sub("", norm) or _PUNCTUATION.sub("", norm) in v.none:
        return Requirement(raw, ())
    routes = [_route(part) for part in _split(norm)]
    routes = [r for r in _borrow(routes) if not r.empty]
    return Requirement(raw, tuple(routes))


def _split(text: str) -> list[str]:
    """Routes: at alternative words outside protected phrases; also at numbered items and
    semicolons when the text says it lists routes ("具备以下条件之一")."""
    v = vocabulary()
    guarded = [m.span() for m in v.protected.finditer(text)]
    cuts = [m.span() for m in v.alternative.finditer(text)
            if not any(a <= m.start() < b for a, b in guarded)]
    if v.one_of.search(text):
        cuts += [m.span() for m in v.items.finditer(text)]
    parts, start = [], 0
    for a, b in sorted(cuts):
        if a >= start:
            parts.append(text[start:a])
            start = b
    parts.append(text[start:])
    return parts


def _take(pattern: re.Pattern[str], text: str) -> tuple[list[re.Match[str]], str]:
    found = list(pattern.finditer(text))
    return found, pattern.sub("，", text)


def _route(text: str) -> Route:
    v = vocabulary()
    _, text = _take(v.presumed, text)
    _, text = _take(v.one_of, text)
    unread: list[str] = []
    schooling, text = _take(v.education, text)
    education = None
    for m in schooling:
        rank = v.education_ladder.get(m.group("level"))
        education = rank if education is None or rank is None else max(education, rank)
        if v.education_specific.search(m.group()):
            unread.append(m.group())
    work, text = _take(v.experience, text)
    min_age = max_age = None
    for pattern in v.age:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if groups.get("low"):
                min_age = int(groups["low"])
            if groups.get("high"):
                max_age = int(groups["high"])
        text = pattern.sub("，", text)
    both, text = _take(v.own_related, text)
    related_words, text = _take(v.related, text)
    _, text = _take(v.own, text)
    certificates, text = _take(v.certificate, text)
    level_words, text = _take(v.level, text)
    _, text = _take(v.at_least, text)
    ranks = {levels().rank(levels().code(m.group())) for m in level_words} - {None}
    named = OccupationResolver.named(text)
    for occupation in named:
        text = _strip_occupation(text, occupation.code, occupation.name)
    if len({o.code for o in named}) > 1:
        unread.append("、".join(o.name for o in named))
    if len(ranks) > 1:
        unread.append("、".join(levels().ladder[r] for r in sorted(ranks)))
    _, text = _take(v.filler, text)
    rest = _PUNCTUATION.sub("", text)
    if rest:
        unread.append(rest)
    first = named[0] if named else None
    return Route(
        certificate=bool(certificates or ranks),
        occupation_code=first.code if first else None,
        occupation_name=first.name if first else None,
        rank=max(ranks) if ranks else None,  # type: ignore[type-var]
        related=bool(both or related_words), education=education, min_age=min_age, max_age=max_age,
        experience=bool(work), unread="；".join(unread))


def _borrow(routes: list[Route]) -> list[Route]:
    """"已取得电工或焊工四级证书": the bare occupation before 或 takes the certificate and
    level of the route after it."""
    out = list(routes)
    for i, route in enumerate(out):
        bare = route.occupation_code and route.empty
        if bare:
            donor = next((r for r in out[i + 1:] if r.certificate), None)
            if donor is not None:
                out[i] = Route(certificate=True, occupation_code=route.occupation_code,
                               occupation_name=route.occupation_name, rank=donor.rank,
                               related=donor.related)
            else:
                out[i] = Route(occupation_code=route.occupation_code,
                               occupation_name=route.occupation_name,
                               unread=route.occupation_name or "")
    return out


@lru_cache(maxsize=2048)
def _phrases(code: str, name: str) -> tuple[str, ...]:
    """Every way the resolver may have found an occupation: its name, its aliases and the
    synonym-table phrases that map to it (longest first, so the longest is taken out)."""
    occupation = classification().by_code.get(code)
    words = {name, *(occupation.aliases if occupation else ())}
    words |= {phrase for phrase, names in synonym_table().items() if name in names}
    return tuple(sorted((search_text(w) for w in words if w), key=len, reverse=True))


def _strip_occupation(text: str, code: str, name: str) -> str:
    for phrase in _phrases(code, name):
        text = text.replace(phrase, "，")
    return text


def describe(route: Route, own_occupation: str) -> str:
    """One route in plain Chinese: 「已取得焊工四级/中级工及以上证书，且有相关工作年限」."""
    parts: list[str] = []
    if route.certificate:
        occupation = route.occupation_name or own_occupation
        also = "（或相关职业）" if route.related else ""
        level = (f"{levels().name(levels().ladder[route.rank])}及以上"
                 if route.rank is not None else "")
        parts.append(f"已取得{occupation}{also}{level}证书")
    if route.education is not None:
        parts.append(f"{education_name(route.education)}及以上学历")
    if route.min_age is not None or route.max_age is not None:
        low = f"{route.min_age}周岁以上" if route.min_age is not None else ""
        high = f"{route.max_age}周岁以下" if route.max_age is not None else ""
        parts.append(f"年龄{low}{high}")
    if route.experience:
        parts.append("有规定年限的从业经历")
    if route.unread:
        parts.append(f"另有条件「{route.unread}」")
    return "，且".join(parts)
