"""A counselor's shortlist exported to Excel (.xlsx)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.schemas import ShortlistIn
from api.security import Counselor
from api.shortlist import shortlist_xlsx

router = APIRouter(tags=["匹配"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME = "%E5%80%99%E9%80%89%E6%B8%85%E5%8D%95.xlsx"  # 候选清单.xlsx, percent-encoded


@router.post("/shortlist.xlsx", response_class=Response)
def export(body: ShortlistIn, caller: Counselor) -> Response:
    return Response(shortlist_xlsx(body.programs), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{NAME}"})
