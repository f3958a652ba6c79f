"""``GET /v1/search``: raw retrieval, open like the policy files themselves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_searcher
from api.error_codes import raises
from api.schemas import SearchOut, SearchResultOut
from corpus.errors import InvalidInput
from corpus.search import MAX_K, Searcher

router = APIRouter(tags=["政策检索"])


@router.get("/search", response_model=SearchOut, summary="检索政策原文",
            description="按问题检索政策文件的片段（不生成回答），与政策文件本身一样公开。",
            openapi_extra=raises("empty_query", "query_too_long", "bad_k", "unknown_region",
                                 "index_unavailable"))
def search(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    q: Annotated[str, Query(description="问题", examples=["退役军人能参加补贴培训吗"])] = "",
    k: Annotated[int, Query(ge=1, le=MAX_K, description="返回条数")] = 5,
    region: Annotated[str | None, Query(description="只看这个地区（及全国）的文件")] = None,
    doc_type: Annotated[str | None, Query(description="文件类型")] = None,
    as_of: Annotated[dt.date | None, Query(description="按哪一天有效的文件")] = None,
) -> SearchOut:
    if not q.strip():
        raise InvalidInput("请输入要查询的问题。", code="empty_query")
    hits = searcher.search(q, k, region=region, doc_type=doc_type, as_of=as_of)
    return SearchOut(query=q, results=[SearchResultOut(**h.to_dict()) for h in hits])
