"""``POST /v1/match`` and ``/v1/match/guide``: ranked programs with reasons, "why not X",
and the next question that would most change the ranking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import get_matcher
from api.schemas import GuideIn, MatchIn
from api.security import Counselor
from matcher.guide import guide
from matcher.ranking import Matcher

router = APIRouter(prefix="/match", tags=["就业指导"])
MatcherDep = Annotated[Matcher, Depends(get_matcher)]


@router.post("")
def match(body: MatchIn, matcher: MatcherDep, _caller: Counselor) -> dict[str, Any]:
    if body.why_not:
        return matcher.why_not(body.profile, body.why_not, k=body.k,
                               weight_overrides=body.weights, today=body.as_of)
    return matcher.match(body.profile, k=body.k, weight_overrides=body.weights,
                         today=body.as_of)


@router.post("/guide")
def match_guide(body: GuideIn, matcher: MatcherDep, _caller: Counselor) -> dict[str, Any]:
    return guide(matcher, body.profile, k=body.k, today=body.as_of, skip=body.skip)
