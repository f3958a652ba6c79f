"""``POST /v1/eligibility``: the counselor's eligibility panel — national rules and those of
the worker's place, each with a status to act on (符合／待确认 with the questions to ask／
已失效／不符合 with the failing fact／不适用), its citation and trace; rules of other places
are counted in ``summary.other_places``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.schemas import EligibilityIn, EligibilityOut
from api.security import Counselor
from assistant.home import rulebook
from assistant.rules.check import check

router = APIRouter(tags=["就业指导"])


@router.post("/eligibility", response_model=EligibilityOut)
def eligibility(body: EligibilityIn, _caller: Counselor) -> dict[str, Any]:
    return check(body.profile, body.rule_id, body.as_of, book=rulebook())
