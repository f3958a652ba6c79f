"""``jnt rules check`` and ``POST /v1/eligibility``: a worker profile (or any facts file)
against the rules, as the counselor's eligibility panel.

The CLI reads ``--profile p.json`` and prints what this returns, so everything here is
JSON-ready. A profile in the shared format (shared/schemas/worker_profile.md) is read by the one
profile model (``corpus.domain.profile``) first, as the matcher reads it: groups and
certificate levels in any known wording, and a profile with no ``subject`` describes a
worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from assistant.rules.engine import RuleBook, default_book
from assistant.rules.panel import panel, place_name, worker_place
from corpus.domain.profile import facts_from_profile
from corpus.errors import InvalidInput


def _as_date(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of).strip())
    except ValueError as error:
        raise InvalidInput(f"日期“{as_of}”格式不对，请写成 2024-01-01 这样的形式。",
                           code="bad_date", detail={"as_of": str(as_of)}) from error


def check(profile: Mapping[str, Any], rule_id: str | None = None,
          as_of: dt.date | str | None = None, *, book: RuleBook | None = None) -> dict[str, Any]:
    """The eligibility panel (``assistant.rules.panel``): ``{as_of, place, summary,
    results}``, national rules and those of the worker's place, each with a status a
    counselor can act on; rules of other places are counted in ``summary.other_places``.
    With ``rule_id``, that one rule whatever its place (unknown → ``NotFound`` code
    ``rule_not_found``)."""
    book = book or default_book()
    day = _as_date(as_of)
    facts = facts_from_profile(profile)
    if rule_id is None:
        return panel(book, facts, day)
    item = book.assess(rule_id, facts, day)
    clean = book.registry.normalize(facts)
    return {"as_of": day.isoformat(), "place": place_name(worker_place(clean)),
            "summary": None, "results": [item.to_dict()]}
