"""``GET /v1/programs``: the imported training catalog, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select

from api.deps import SettingsDep
from api.fields import Offset
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
                  offset: Annotated[Offset, Query()] = 0,
                  q: Annotated[str | None, Query(max_length=50, description=(
                      "按项目编号、名称、职业或机构查找（部分匹配），供顾问查“为什么没有推荐”"))]
                  = None) -> dict[str, Any]:
    query = select(Program)
    if q and q.strip():
        term = q.strip()
        query = query.where(or_(*(column.contains(term, autoescape=True) for column in (
            Program.program_id, Program.title, Program.occupation, Program.provider))))
    with sessions(settings)() as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = db.scalars(query.order_by(Program.program_id).limit(limit).offset(offset))
        return {"total": total, "programs": [_plain(p) for p in rows]}


@router.get("/{program_id}")
def get_program(program_id: str, settings: SettingsDep, _caller: Counselor) -> dict[str, Any]:
    with sessions(settings)() as db:
        program = db.get(Program, program_id)
        if program is None:
            raise NotFound(f"目录中没有编号为“{program_id}”的项目。", code="program_not_found",
                           detail={"program_id": program_id})
        return _plain(program)
