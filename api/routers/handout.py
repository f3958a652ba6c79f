"""``POST /v1/handout.xlsx`` and ``/v1/handout.html``: the counselor's hand-out, built on
the server from program ids (``api.handout``) for a profile or a case."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep, get_matcher
from api.error_codes import PROFILE_CODES, raises
from api.handout import Handout, build
from api.handout_html import CSP, render_html
from api.handout_xlsx import render_xlsx
from api.routers.cases import CasesDb
from api.schemas import HandoutIn
from api.security import Counselor
from matcher.ranking import Matcher

router = APIRouter(tags=["就业指导"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MatcherDep = Annotated[Matcher, Depends(get_matcher)]


def _name(handout: Handout, suffix: str) -> str:
    return quote(f"培训项目推荐单-{handout.worker_ref}.{suffix}")


_CODES = raises(*PROFILE_CODES, "profile_or_case", "worker_ref_with_case", "no_programs",
                "too_many_programs", "program_not_found", "case_not_found", "bad_weights",
                "bad_worker_ref", "personal_worker_ref")
_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post("/handout.xlsx", response_class=Response, summary="推荐单（Excel）",
             description="按项目编号在服务端生成给劳动者的推荐单（项目信息全部取自目录）；画像与个案"
                         "二选一。顾问账号、管理员账号或合作方密钥。",
             responses={200: {"content": {XLSX: _BINARY}, "description": "推荐单（Excel 文件）"}},
             openapi_extra=_CODES)
def handout_xlsx(body: HandoutIn, caller: Counselor, matcher: MatcherDep,
                 settings: SettingsDep, db: CasesDb) -> Response:
    handout = build(body, caller, matcher, settings, db)
    return Response(render_xlsx(handout), media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_name(handout, 'xlsx')}"})


@router.post("/handout.html", response_class=HTMLResponse, summary="推荐单（网页）",
             description="与 handout.xlsx 相同的推荐单，HTML 格式（可打印）。"
                         "顾问账号、管理员账号或合作方密钥。",
             responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                              "description": "推荐单（HTML）"}},
             openapi_extra=_CODES)
def handout_html(body: HandoutIn, caller: Counselor, matcher: MatcherDep,
                 settings: SettingsDep, db: CasesDb) -> HTMLResponse:
    handout = build(body, caller, matcher, settings, db)
    return HTMLResponse(render_html(handout), headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename*=UTF-8''{_name(handout, 'html')}"})
