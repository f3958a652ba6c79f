"""``POST /v1/feedback``: thumbs up or down (and a reason) on one answer of a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import sessionmaker

from api import idempotency
from api.deps import SettingsDep, get_db
from api.error_codes import raises
from api.schemas import FeedbackIn, FeedbackOut
from api.security import WORKER_AUTH, Caller, Forbidden, Unauthorized, identify
from assistant.store import Feedback, Turn
from corpus.errors import NotFound

router = APIRouter(tags=["对话"])


@router.post("/feedback", response_model=FeedbackOut, status_code=201,
             dependencies=[WORKER_AUTH],
             summary="评价一条回答",
             description="劳动者对自己会话中的一条回答点赞或点踩（可附原因）。"
                         "带 Idempotency-Key 时重试只记一次。只接受会话凭证。",
             openapi_extra=raises("turn_not_found", "token_mismatch", "bad_idempotency_key",
                                  "idempotency_mismatch", "idempotency_in_progress"))
def feedback(body: FeedbackIn, request: Request, response: Response, settings: SettingsDep,
             db: Annotated[sessionmaker, Depends(get_db)]) -> FeedbackOut:
    """With ``Idempotency-Key`` a retried rating is filed once."""
    caller = identify(request, settings)
    if caller is None:
        raise Unauthorized("缺少会话凭证。", code="auth_required")
    if caller.kind != "worker":
        raise Forbidden("只有对话中的劳动者可以评价回答。")
    return idempotency.once(db, request, response, caller, body.model_dump(mode="json"),
                            lambda: _file(body, caller, db))


def _file(body: FeedbackIn, caller: Caller, db: sessionmaker) -> FeedbackOut:
    with db() as session, session.begin():
        turn = session.get(Turn, body.turn_id)
        if turn is None or turn.role != "assistant":
            raise NotFound("找不到这条回答。", code="turn_not_found",
                           detail={"turn_id": body.turn_id})
        if turn.session_id != caller.subject:
            raise Forbidden("只能评价自己会话中的回答。", code="token_mismatch")
        row = Feedback(turn_id=turn.id, rating=1 if body.rating == "up" else -1,
                       reason=(body.reason or "").strip() or None)
        session.add(row)
        session.flush()
        return FeedbackOut(id=row.id, turn_id=turn.id, rating=body.rating)
