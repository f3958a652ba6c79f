"""``GET /v1/occupations?q=``: everyday words ("电焊", "开叉车的") to classified occupations.
Open: it is reference data, and the widget offers it while a worker types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_resolver
from api.schemas import OccupationOut
from matcher.occupations import OccupationResolver

router = APIRouter(tags=["参考数据"])


@router.get("/occupations", response_model=list[OccupationOut], summary="口语转职业",
            description="把口语（“电焊”“开叉车的”）对应到国家职业分类中的职业，供输入时提示。公开。")
def occupations(resolver: Annotated[OccupationResolver, Depends(get_resolver)],
                q: Annotated[str, Query(min_length=1, max_length=100, examples=["开叉车的"],
                                        description="职业名称或口语")],
                k: Annotated[int, Query(ge=1, le=20)] = 5) -> list[dict[str, object]]:
    return [r.to_dict() for r in resolver.resolve(q, k=k)]
