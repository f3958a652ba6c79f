"""``GET /v1/programs``: the imported training catalog, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select

from api.deps import SettingsDep
from api.error_codes import raises
from api.fields import Offset
from api.schemas import ProgramOut, ProgramsOut
from api.security import Counselor
from corpus.errors import NotFound
from matcher.catalog import sessions
from matcher.db import Program

router = APIRouter(prefix="/programs", tags=["培训项目"])


def _plain(program: Program) -> dict[str, Any]:
    out = {c.key: getattr(program, c.key) for c in Program.__table__.columns}
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


@router.get("", response_model=ProgramsOut, summary="培训项目目录（分页）",
            description="按项目编号排序，一页 limit 条；把 next_cursor 作为 after 传回取下一页"
                        "（offset 仍可用）。q 按编号、名称、职业或机构部分匹配。"
                        "顾问账号、管理员账号或合作方密钥。")
def list_programs(settings: SettingsDep, _caller: Counselor,
                  limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
                  offset: Annotated[Offset, Query(description="跳过的条数（旧式分页）")] = 0,
                  after: Annotated[str | None, Query(max_length=120, description=(
                      "上一页返回的 next_cursor；不传则从第一条开始"))] = None,
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
        if after is not None:
            query = query.where(Program.program_id > after)
        rows = list(db.scalars(query.order_by(Program.program_id).limit(limit + 1)
                               .offset(offset)))
        page = rows[:limit]
        return {"total": total, "programs": [_plain(p) for p in page],
                "next_cursor": page[-1].program_id if len(rows) > limit else None}


@router.get("/{program_id}", response_model=ProgramOut, summary="一个培训项目",
            description="目录中一个项目的全部字段。顾问账号、管理员账号或合作方密钥。",
            openapi_extra=raises("program_not_found"))
def get_program(program_id: str, settings: SettingsDep, _caller: Counselor) -> dict[str, Any]:
    with sessions(settings)() as db:
        program = db.get(Program, program_id)
        if program is None:
            raise NotFound(f"目录中没有编号为“{program_id}”的项目。", code="program_not_found",
                           detail={"program_id": program_id})
        return _plain(program)
