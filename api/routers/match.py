"""``POST /v1/match`` and ``/v1/match/guide``: ranked programs with reasons, "why not X",
and the next question that would most change the ranking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import get_matcher
from api.error_codes import PROFILE_CODES, raises
from api.schemas import GuideIn, GuideOut, MatchIn, MatchOut, WhyNotOut
from api.security import Counselor
from matcher.guide import guide
from matcher.ranking import Matcher

router = APIRouter(prefix="/match", tags=["就业指导"])
MatcherDep = Annotated[Matcher, Depends(get_matcher)]


@router.post("", response_model=MatchOut | WhyNotOut, summary="匹配培训项目",
             description="按画像给培训项目排序并说明理由（MatchOut）；带 why_not 时说明这个"
                         "项目为什么没排上（WhyNotOut）。weights 可调整各因素权重。"
                         "顾问账号、管理员账号或合作方密钥。",
             openapi_extra=raises(*PROFILE_CODES, "bad_weights", "bad_k", "program_not_found"))
def match(body: MatchIn, matcher: MatcherDep, _caller: Counselor) -> dict[str, Any]:
    if body.why_not:
        return matcher.why_not(body.profile, body.why_not, k=body.k,
                               weight_overrides=body.weights, today=body.as_of)
    return matcher.match(body.profile, k=body.k, weight_overrides=body.weights,
                         today=body.as_of)


@router.post("/guide", response_model=GuideOut, summary="引导式匹配：下一个该问的问题",
             description="哪个问题的回答最能改变前几名；推荐稳定时 next_question 为空。"
                         "顾问账号、管理员账号或合作方密钥。",
             openapi_extra=raises(*PROFILE_CODES, "bad_k"))
def match_guide(body: GuideIn, matcher: MatcherDep, _caller: Counselor) -> dict[str, Any]:
    return guide(matcher, body.profile, k=body.k, today=body.as_of, skip=body.skip)
