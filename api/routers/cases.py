"""``/v1/cases``: a counselor's case records (``api.cases``), and a case handed over from
a worker's chat. Counselor or admin accounts only; a counselor sees only their own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import sessionmaker

from api import cases, idempotency
from api.deps import SettingsDep
from api.error_codes import PROFILE_CODES, raises
from api.fields import IdempotencyKey, Offset, RowId
from api.schemas import CaseIn, CaseOut, CasesOut, CaseUpdate, HandoverIn
from api.security import Counselor

router = APIRouter(prefix="/cases", tags=["个案"])


def get_cases_db(settings: SettingsDep) -> sessionmaker:
    return cases.case_sessions(settings)


CasesDb = Annotated[sessionmaker, Depends(get_cases_db)]


_CASE_CODES = ("account_required", "bad_worker_ref", "personal_worker_ref", "worker_ref_taken",
               "too_many_programs", *PROFILE_CODES)


@router.post("", response_model=CaseOut, status_code=201, summary="新建个案",
             description="顾问为一位劳动者建个案（姓名、证件号、电话不保存）。带 Idempotency-Key 时"
                         "重试返回第一次建的个案。只接受顾问或管理员账号。",
             openapi_extra=raises(*_CASE_CODES, "bad_idempotency_key", "idempotency_mismatch",
                                  "idempotency_in_progress"))
def create(body: CaseIn, caller: Counselor, db: CasesDb, request: Request,
           response: Response, _idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """With ``Idempotency-Key`` a retried creation returns the first case."""
    return idempotency.once(db, request, response, caller, body.model_dump(mode="json"),
                            lambda: cases.create_case(db, caller, body.model_dump()))


@router.get("", response_model=CasesOut, summary="个案列表（分页）",
            description="最新的在前；顾问只看到自己的，管理员看到全部。把 next_cursor 作为 after "
                        "传回取下一页（offset 仍可用）。只接受顾问或管理员账号。",
            openapi_extra=raises("account_required", "bad_cursor"))
def list_cases(caller: Counselor, db: CasesDb,
               limit: Annotated[int, Query(ge=1, le=100, description="每页条数")] = 20,
               offset: Annotated[Offset, Query(description="跳过的条数（旧式分页）")] = 0,
               after: Annotated[str | None, Query(max_length=20, description=(
                   "上一页返回的 next_cursor；不传则从最新的开始"))] = None) -> dict[str, Any]:
    return cases.list_cases(db, caller, limit, offset, after)


@router.post("/from-chat", response_model=CaseOut, status_code=201, summary="对话转个案",
             description="把劳动者的对话（及其了解到的画像）转为顾问的个案。只接受顾问或管理员账号。",
             openapi_extra=raises("account_required", "session_not_found",
                                  "already_handed_over"))
def hand_over(body: HandoverIn, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.hand_over(db, caller, body.session_id, body.notes, body.follow_up)


@router.get("/{case_id}", response_model=CaseOut, summary="一个个案",
            description="只接受顾问或管理员账号；顾问只能看自己的个案。",
            openapi_extra=raises("account_required", "case_not_found"))
def get(case_id: RowId, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.get_case(db, caller, case_id)


@router.patch("/{case_id}", response_model=CaseOut, summary="修改个案",
             description="只改请求中出现的字段；follow_up: null 清除跟进日期。"
                         "只接受顾问或管理员账号。",
             openapi_extra=raises(*_CASE_CODES, "case_not_found", "null_field"))
def update(case_id: RowId, body: CaseUpdate, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.update_case(db, caller, case_id, body.model_dump(exclude_unset=True))
