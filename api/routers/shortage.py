"""``GET /v1/shortage?region=``: the shortage lists in force for a place — its own list,
then its province's, then the national ranking (the most local one naming an occupation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SettingsDep
from api.error_codes import raises
from api.schemas import ShortageOut
from corpus.regions import regions
from matcher.catalog import sessions
from matcher.shortage import ShortageLists

router = APIRouter(tags=["参考数据"])


@router.get("/shortage", response_model=ShortageOut, summary="紧缺职业目录",
            description="某地生效的紧缺职业：本地目录优先，其次省级、全国。公开。",
            openapi_extra=raises("unknown_region"))
def shortage(settings: SettingsDep,
             region: Annotated[str | None, Query(max_length=60, description="地区")] = None
             ) -> dict[str, Any]:
    place = regions().resolve(region.strip()) if region and region.strip() else None
    with sessions(settings)() as db:
        lists = ShortageLists.load(db)
    hits = lists.in_force(place)
    return {"region": place.name if place else "全国",
            "occupations": [{"occupation": h.occupation, "occupation_code": h.occupation_code,
                             "region": h.region, "period": h.period, "rank": h.rank,
                             "reason": h.reason()} for h in hits.values()]}
