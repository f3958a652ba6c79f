"""``GET /v1/programs``: the imported training catalog, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.deps import SettingsDep
from api.schemas import ProgramsOut
from api.security import Counselor
from corpus.errors import NotFound
from matcher.catalog import sessions
from matcher.db import Program

router = APIRouter(prefix="/programs", tags=["培训项目"])


def _plain(program: Program) -> dict[str, Any]:
    out = {c.key: getattr(program, c.key) for c in Program.__table__.columns}
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


@router.get("", response_model=ProgramsOut)
def list_programs(settings: SettingsDep, _caller: Counselor,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    with sessions(settings)() as db:
        total = db.scalar(select(func.count()).select_from(Program)) or 0
        rows = db.scalars(select(Program).order_by(Program.program_id)
                          .limit(limit).offset(offset))
        return {"total": total, "programs": [_plain(p) for p in rows]}


@router.get("/{program_id}")
def get_program(program_id: str, settings: SettingsDep, _caller: Counselor) -> dict[str, Any]:
    with sessions(settings)() as db:
        program = db.get(Program, program_id)
        if program is None:
            raise NotFound(f"目录中没有编号为“{program_id}”的项目。", code="program_not_found",
                           detail={"program_id": program_id})
        return _plain(program)
