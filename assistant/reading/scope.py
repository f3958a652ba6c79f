"""Where a document applies against where the asker is.

Household registration (户口), the place one lives or works, and the place asked about
are different facts; a mismatch between them is something to answer ("这是河南省的规定，
只适用于河南省"), never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.facts import region_index
from corpus.regions import Region, regions

NATIONAL = "全国"


@dataclass(frozen=True)
class Scope:
    doc_region: str
    relation: str  # national | inside | outside | hukou_only | unknown
    asker_place: str | None

    @property
    def regional(self) -> bool:
        return self.relation != "national"


def _within(place: Region, doc: Region) -> bool:
    return doc in regions().lineage(place)


def _find(name: object) -> Region | None:
    return regions().find(name) if isinstance(name, str) else None


def places_named(question: str) -> list[Region]:
    """Provinces and cities named anywhere in the question, document titles included
    ("河南省职业培训条例里的…"): the places it asks about. County short names are left out,
    they collide with everyday words."""
    index = region_index()
    found: list[Region] = []
    i = 0
    while i < len(question):
        for length in index.lengths.get(question[i], ()):
            name = question[i:i + length]
            options = [r for r in index.names.get(name, ()) if r.level != "county"
                       or r.name == name]
            if options:
                found.append(min(options, key=lambda r: ("province", "prefecture",
                                                         "county").index(r.level)))
                i += length
                break
        else:
            i += 1
    return found


def read_scope(doc_region: str | None, facts: dict[str, Any], question: str) -> Scope:
    """``question`` in search form; ``facts`` the asker's stated or profile facts."""
    doc = _find(doc_region or NATIONAL)
    if doc is None or doc.level == "national":
        return Scope(NATIONAL, "national", None)
    residence = next((r for r in (_find(facts.get(k)) for k in ("county", "city", "province"))
                      if r is not None), None)
    hukou = _find(facts.get("hukou_province"))
    if residence is not None:
        if _within(residence, doc):
            return Scope(doc.name, "inside", residence.name)
        if hukou is not None and _within(hukou, doc):
            return Scope(doc.name, "hukou_only", residence.name)
        return Scope(doc.name, "outside", residence.name)
    mentioned = places_named(question)
    elsewhere = [r for r in mentioned if not _within(r, doc)]
    if elsewhere:  # "杭州的机构适用宁波的条例吗": someone elsewhere asks about this place's rule
        return Scope(doc.name, "outside", elsewhere[0].name)
    if mentioned:
        return Scope(doc.name, "inside", None)
    if hukou is not None:
        return Scope(doc.name, "inside" if _within(hukou, doc) else "outside", hukou.name)
    return Scope(doc.name, "unknown", None)
