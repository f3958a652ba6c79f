"""``GET /v1/vocabulary``: the profile's controlled values — groups, certificate levels,
physical limits, modes and travel ranges — from their one home (``corpus/domain``), so a
console or a mini-program offers the same choices the profile parser accepts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.schemas import VocabularyOut
from corpus.domain.profile import MODES, TRAVEL, TRAVEL_NAMES
from corpus.domain.vocabulary import groups, levels, physical_limits

router = APIRouter(tags=["就业指导"])


@router.get("/vocabulary", response_model=VocabularyOut, summary="画像的可选值",
            description="人群、证书等级、身体限制、培训方式和出行范围的可选值，与 WorkerProfile "
                        "的枚举来自同一份数据。公开。")
def vocabulary() -> dict[str, Any]:
    g, lv, lim = groups(), levels(), physical_limits()
    return {
        "groups": [{"code": name, "label": g.label(name), "short": g.short(name),
                    "offered": name in g.offered} for name in g.names],
        "levels": [{"code": code, "name": lv.name(code)} for code in lv.ladder],
        "physical_limits": [{"code": code, "label": lim.label(code)} for code in lim.codes],
        "modes": list(MODES),
        "travel": [{"code": code, "label": TRAVEL_NAMES[code]} for code in TRAVEL],
    }
