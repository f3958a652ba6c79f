"""Questions about classes ("赤峰有没有汽车维修班") answered from the catalog.

The dialogue cannot import the matcher (dependencies point api → assistant, matcher), so
the service hands it this function: the worker's session facts plus what they just asked
become a profile, the matcher ranks the catalog, and the reply names the top classes with
where, when and how long, and how to get a full matching.
"""

from __future__ import annotations

from typing import Any

from api.matching import matcher
from assistant.answer import Answer
from corpus.errors import JntError
from corpus.settings import Settings

SHOWN = 3
_PROFILE_KEYS = ("groups", "province", "city", "county", "age", "education", "certificates",
                 "employment_status", "hukou_province")


def class_reply(settings: Settings, text: str, facts: dict[str, Any]) -> Answer | None:
    """``None`` when the catalog cannot answer (no catalog, or nothing matches)."""
    profile = {k: facts[k] for k in _PROFILE_KEYS if facts.get(k) not in (None, [], "")}
    profile["interests_text"] = text
    try:
        found = matcher(settings).match(profile, k=SHOWN)
    except JntError:
        return None
    results = found.get("results") or []
    notice = found.get("notice")
    if not results and not notice:
        return None
    # 「赤峰有没有汽车维修班」: when nothing near teaches it, say so before what else there is
    lines = [notice] if notice else []
    if results:
        lines.append("目录里有这些相关的班：" if not notice else "可以考虑这些班：")
    for i, r in enumerate(results, 1):
        where = r.get("city") or r.get("province") or ""
        start = f"，{r['start_date']}开班" if r.get("start_date") else ""
        mode = "，线上" if r.get("mode") == "线上" else ""
        lines.append(f"{i}. {r['title']}（{r.get('provider') or ''}，{where}{mode}{start}）")
    lines.append("想按您的情况完整匹配，可以请就业服务中心的顾问在顾问工作台（/console）为您匹配。")
    return Answer("\n".join(lines), intent="courses", facts=facts)
