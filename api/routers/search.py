"""``GET /v1/search``: raw retrieval, open like the policy files themselves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_searcher
from api.schemas import SearchOut, SearchResultOut
from corpus.errors import InvalidInput
from corpus.search import MAX_K, Searcher

router = APIRouter(tags=["政策检索"])


@router.get("/search", response_model=SearchOut)
def search(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    q: Annotated[str, Query(description="问题")] = "",
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
    region: str | None = None,
    doc_type: str | None = None,
    as_of: dt.date | None = None,
) -> SearchOut:
    if not q.strip():
        raise InvalidInput("请输入要查询的问题。", code="empty_query")
    hits = searcher.search(q, k, region=region, doc_type=doc_type, as_of=as_of)
    return SearchOut(query=q, results=[SearchResultOut(**h.to_dict()) for h in hits])
