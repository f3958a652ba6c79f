"""``POST /v1/ask``: one question, one grounded answer (what ``jnt ask`` prints)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import get_assistant
from api.error_codes import PROFILE_CODES, raises
from api.logs import redact
from api.schemas import AnswerOut, AskIn
from api.security import AnyCaller
from assistant.answer import Assistant
from corpus.regions import regions

router = APIRouter(tags=["政策问答"])
log = logging.getLogger("jnt.api.ask")
_LEVEL_KEY = {"province": "province", "prefecture": "city", "county": "county"}


def with_place(profile: dict[str, Any], region: str) -> dict[str, Any]:
    """The profile with ``region`` as the worker's place, replacing any place it had."""
    table = regions()
    place = table.resolve(region.strip())  # unknown_region, in Chinese
    out = {k: v for k, v in profile.items() if k not in ("province", "city", "county")}
    for r in table.lineage(place):
        if r.level in _LEVEL_KEY:
            out[_LEVEL_KEY[r.level]] = r.name
    return out


@router.post("/ask", response_model=AnswerOut, summary="提问：一个问题，一个有依据的回答",
             description="按政策原文回答一个问题（尤其是“谁能参加”），引用条款；不需要凭证，"
                         "带凭证时按调用方计数限流。缺少的信息在 missing_facts 中以中文提问列出。",
             openapi_extra={**raises(*PROFILE_CODES, "bad_fact", "question_too_long",
                                     "index_unavailable"), "security": [{}]})
def ask(body: AskIn, bot: Annotated[Assistant, Depends(get_assistant)],
        _caller: AnyCaller) -> dict[str, Any]:
    profile = dict(body.profile or {})
    if body.region:
        profile = with_place(profile, body.region)
    log.info("ask: %s", redact(body.question[:200]))
    return bot.answer(body.question, body.context, profile, as_of=body.as_of).to_dict()
