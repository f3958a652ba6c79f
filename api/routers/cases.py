"""``/v1/cases``: a counselor's case records (``api.cases``), and a case handed over from
a worker's chat. Counselor or admin accounts only; a counselor sees only their own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import sessionmaker

from api import cases, idempotency
from api.deps import SettingsDep
from api.fields import Offset, RowId
from api.schemas import CaseIn, CaseOut, CasesOut, CaseUpdate, HandoverIn
from api.security import Counselor

router = APIRouter(prefix="/cases", tags=["个案"])


def get_cases_db(settings: SettingsDep) -> sessionmaker:
    return cases.case_sessions(settings)


CasesDb = Annotated[sessionmaker, Depends(get_cases_db)]


@router.post("", response_model=CaseOut, status_code=201)
def create(body: CaseIn, caller: Counselor, db: CasesDb, request: Request,
           response: Response) -> dict[str, Any]:
    """With ``Idempotency-Key`` a retried creation returns the first case."""
    return idempotency.once(db, request, response, caller, body.model_dump(mode="json"),
                            lambda: cases.create_case(db, caller, body.model_dump()))


@router.get("", response_model=CasesOut)
def list_cases(caller: Counselor, db: CasesDb,
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               offset: Annotated[Offset, Query()] = 0) -> dict[str, Any]:
    return cases.list_cases(db, caller, limit, offset)


@router.post("/from-chat", response_model=CaseOut, status_code=201)
def hand_over(body: HandoverIn, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.hand_over(db, caller, body.session_id, body.notes, body.follow_up)


@router.get("/{case_id}", response_model=CaseOut)
def get(case_id: RowId, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.get_case(db, caller, case_id)


@router.patch("/{case_id}", response_model=CaseOut)
def update(case_id: RowId, body: CaseUpdate, caller: Counselor, db: CasesDb) -> dict[str, Any]:
    return cases.update_case(db, caller, case_id, body.model_dump(exclude_unset=True))
