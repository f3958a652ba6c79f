"""``POST /v1/eligibility``: a profile against the eligibility rules, with rule traces."""

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
