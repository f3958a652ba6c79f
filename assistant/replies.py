"""The assistant's own sentences. Kept in one place so every word a user reads that is
not a quote is visible here: verdict leads, abstentions, and the fixed replies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answer import Citation
    from assistant.rules.engine import RuleResult
    from corpus.search import SearchHit

HOTLINE = "如需进一步确认，请拨打 12333 人社服务热线，或咨询当地人力资源和社会保障部门。"


def _cite(c: Citation) -> str:
    where = f"（{c.section}）" if c.section else ""
    return f"《{c.title}》{where}：“{c.quote}”"


def quote_lines(citations: list[Citation]) -> str:
    if not citations:
        return ""
    return "依据：\n" + "\n".join(f"{i}. {_cite(c)}" for i, c in enumerate(citations, 1))


def extractive(citations: list[Citation]) -> str:
    return "根据现有政策文件：\n" + "\n".join(f"{i}. {_cite(c)}"
                                         for i, c in enumerate(citations, 1))


def verdict_lead(result: RuleResult) -> str:
    outcome: dict[str, Any] = result.outcome or {}
    benefit = outcome.get("benefit") or result.title
    if result.status == "expired":
        period = f"有效期至 {result.effective.get('to')}" if result.effective.get("to") else ""
        during = _decided(result, benefit)
        return (f"注意：这是已过期的规定（{result.title}，{period}），"
                f"现在是否仍执行请向当地人社部门确认。在有效期内：{during}")
    if result.status == "not_yet_effective":
        return f"这条规定尚未生效（{result.title}）。"
    return _decided(result, benefit)


def _decided(result: RuleResult, benefit: str) -> str:
    if result.verdict == "yes":
        return f"可以。{benefit}"
    if result.verdict == "no":
        failed = [t.description for t in result.trace
                  if t.status == "fail" and t.kind == "leaf"]
        reason = f"不符合的条件：{'；'.join(failed)}。" if failed else ""
        return f"不可以。{reason}".rstrip()
    unknown = [t.description for t in result.trace
               if t.status == "unknown" and t.kind == "leaf"]
    needs = f"需要满足：{'；'.join(unknown)}。" if unknown else ""
    return f"要看条件：{benefit}。{needs}".replace("。。", "。")


def other_department(result: RuleResult) -> str:
    benefit = (result.outcome or {}).get("benefit") or result.title
    return f"不是。{benefit}。"


def abstain(hits: list[SearchHit]) -> str:
    titles = list(dict.fromkeys(h.title for h in hits))[:3]
    covers = f"现有文件主要涉及：{'；'.join('《' + t + '》' for t in titles)}。" if titles else ""
    return f"抱歉，现有政策文件没有回答这个问题。{covers}{HOTLINE}"


def english_only() -> str:
    return ("目前只能回答中文提问，请用中文描述您的问题。"
            "(Please ask in Chinese: the policies on file are in Chinese.)")


def not_understood() -> str:
    return ("没看懂您的问题，请用文字描述您想了解的培训或补贴政策，"
            "例如“我当过兵，能参加补贴培训吗？”")


def smalltalk() -> str:
    return ("您好！我是技能通，可以解答职业技能培训和培训补贴政策的问题，"
            "例如“我当过兵，能参加补贴培训吗？”")


def out_of_scope() -> str:
    return f"这个问题不在职业技能培训政策的范围内，我答不了。{HOTLINE}"
