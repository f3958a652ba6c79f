"""``jnt rules check``: evaluate a worker profile (or any facts file) against the rules.

The CLI reads ``--profile p.json`` and prints what this returns, so everything here is
JSON-ready. A profile in the shared format (shared/schemas/worker_profile.md) is turned into
facts first: certificates arrive as ``{"occupation", "level"}`` records, and a profile with
no ``subject`` describes a worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from assistant.rules.engine import RuleBook, default_book
from corpus.errors import InvalidInput


def profile_to_facts(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Facts from a worker profile; other keys pass through to be checked by the registry."""
    if not isinstance(profile, Mapping):
        raise InvalidInput("画像应为 JSON 对象（“字段: 取值”）。", code="bad_profile")
    facts = dict(profile)
    facts.setdefault("subject", "worker")
    certificates = facts.get("certificates")
    if isinstance(certificates, list) and any(isinstance(c, Mapping) for c in certificates):
        facts["certificates"] = [_certificate_text(c) for c in certificates]
        levels = [str(c["level"]).strip() for c in certificates
                  if isinstance(c, Mapping) and c.get("level")]
        if levels and "certificate_levels" not in facts:
            facts["certificate_levels"] = levels
    return facts


def _certificate_text(record: Any) -> str:
    """“电工（五级）” from ``{"occupation": "电工", "level": "五级"}``."""
    if not isinstance(record, Mapping):
        return record  # a plain string stays as it is; the registry checks its type
    occupation = str(record.get("occupation") or "").strip()
    level = str(record.get("level") or "").strip()
    if not occupation and not level:
        raise InvalidInput("证书记录缺少职业和等级（occupation、level）。", code="bad_fact",
                           detail={"fact": "certificates", "value": dict(record)})
    return f"{occupation}（{level}）" if occupation and level else occupation or level


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
    """``{as_of, results}``: one rule when ``rule_id`` is given (unknown → ``NotFound``
    code ``rule_not_found``), otherwise every rule for the profile's subject."""
    book = book or default_book()
    day = _as_date(as_of)
    facts = profile_to_facts(profile)
    results = [book.evaluate(rule_id, facts, day)] if rule_id else book.evaluate_all(facts, day)
    return {"as_of": day.isoformat(), "results": [result.to_dict() for result in results]}
