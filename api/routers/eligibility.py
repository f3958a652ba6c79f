"""``POST /v1/eligibility``: the counselor's eligibility panel — national rules and those of
the worker's place, each with a status to act on (符合／待确认 with the questions to ask／
已失效／不符合 with the failing fact／不适用), its citation and trace; rules of other places
are counted in ``summary.other_places``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.error_codes import PROFILE_CODES, raises
from api.schemas import EligibilityIn, EligibilityOut
from api.security import Counselor
from assistant.home import rulebook
from assistant.rules.check import check

router = APIRouter(tags=["就业指导"])


@router.post("/eligibility", response_model=EligibilityOut, summary="资格检查面板",
             description="全国和劳动者所在地的每条规则：符合／待确认（附要问的问题）／不符合（附不符合的"
                         "事实）／不适用／已失效，带引用。顾问账号、管理员账号或合作方密钥。",
             openapi_extra=raises(*PROFILE_CODES, "bad_fact", "impossible_age",
                                  "rule_not_found"))
def eligibility(body: EligibilityIn, _caller: Counselor) -> dict[str, Any]:
    return check(body.profile, body.rule_id, body.as_of, book=rulebook())
