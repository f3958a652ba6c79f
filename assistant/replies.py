"""The assistant's own sentences. Kept in one place so every word a user reads that is
not a quote is visible here.

A reply is read on a phone: the first sentence answers exactly what was asked (可以 /
不可以 / 要看条件 / 文件规定是… / 现有文件没有规定), then the conditions as a short list,
then what to do next. Quotes are never repeated here: they live in the citations.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.reading.cues import clause_cue
from assistant.reading.scope import Scope
from assistant.reading.thresholds import Comparison
from corpus.domain.vocabulary import groups
from corpus.normalize import search_text

HOTLINE = "如需办理或确认，请咨询当地人社部门，或拨打 12333 人社服务热线。"
SEE_CLAUSE = "要看什么条件，见下面引用的条文。"
NEXT_STEP = "办理请向当地人社部门咨询，或拨打 12333。"
# A refusal names documents only when they really touch the topic.
RELATED_COVERAGE = 0.35
SPAN_CHARS = 110
CONDITION_CHARS = 48
MAX_CONDITIONS = 3
MAX_CHOICES = 6
_FRAGMENT = re.compile(r"[^，,；;：:。！？!?]+")
# a limit states a figure (满一年, 不低于80%); 最低生活保障 and 县级以上 state none
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百千万半]")
# enumerated items: （一）…；（二）…
_ITEM = re.compile(r"[（(][一二三四五六七八九十]+[）)]\s*([^；;。（(]+)")
# "第十七条 失业人员…": the article number belongs to the citation card, not the reply
_ARTICLE = re.compile(r"^第[零一二三四五六七八九十百千\d]+条\s*")
# the sentence that introduces an enumerated list: "…符合下列条件的，可以…："
_LIST_KIND_CHARS = 6  # 下列 + "条件之一", "情形", "人员": the list's kind is named at once
_LIST_HEADER = re.compile(r"[^。；;：:\n]*下列[^。；;：:\n]*[：:]")

LEADS = {"yes": "可以。", "no": "不可以。", "conditional": "要看条件。"}
# a question whether something is required (「要不要持健康证上岗？」) is answered in its terms
NEED_LEADS = {"yes": "需要。", "no": "不需要。", "conditional": "要看条件。"}
CONDITIONS_QUESTION = "您是否符合上面的条件？"
MEETS, FAILS, UNSURE = "符合", "不符合", "不清楚"
CONFIRMED = {MEETS: "按您说的，您符合这些条件：", FAILS: "按您说的，您不符合这些条件："}


def verdict_reply(verdict: str | None, reasons: list[str], conditions: tuple[str, list[str]] | None,
                  scope_line: str, expired_line: str, follow_up: str | None,
                  asks_need: bool = False) -> str:
    lines = [verdict_lead(verdict, reasons, asks_need)]
    if scope_line:
        lines.append(scope_line)
    if conditions and conditions[1]:
        header, items = conditions
        lines.append(header)
        lines.extend(f"· {c}" for c in items)
    elif verdict == "conditional":  # never a bare 「要看条件」; the quote stays in the citation
        lines.append(SEE_CLAUSE)
    if expired_line:
        lines.append(expired_line)
    if not follow_up:  # a follow-up question is shown on its own, above its choices
        lines.append(NEXT_STEP)
    return "\n".join(lines)


def verdict_lead(verdict: str | None, reasons: list[str], asks_need: bool = False) -> str:
    """The first line of a yes/no reply, and the first thing a streamed reply shows."""
    leads = NEED_LEADS if asks_need else LEADS
    return leads.get(verdict or "", "要看具体情况。") + "".join(reasons[:2])


def fact_lead(span: str) -> str:
    """The first line of a reply stating what the files say."""
    return f"文件规定：{span}"


def fact_reply(span: str, scope_line: str, expired_line: str) -> str:
    lines = [fact_lead(span)]
    if scope_line:
        lines.append(scope_line)
    if expired_line:
        lines.append(expired_line)
    return "\n".join(lines)


def no_reasons(features: dict[str, float], scope: Scope, comparison: Comparison,
               conflicts: list[tuple[str, str]]) -> list[str]:
    """Why "no", in the order a worker should hear it: the place, their own figures, the
    beneficiary, the prohibition, the order of steps, the missing requirement."""
    out: list[str] = []
    if features.get("scope_outside") or features.get("scope_hukou_only"):
        out.append(scope_only(scope))
    if comparison.detail:
        out.append(f"您说的是{comparison.detail[0]}。")
    if conflicts:
        asked, stated = conflicts[0]
        out.append(f"文件写的是“{stated}”，不是“{asked}”。")
    if features.get("family_mismatch"):
        out.append("这条规定的对象是文件所列人员本人，没有把家属列为对象。")
    if features.get("asks_prohibited") or features.get("legality_x_prohibition"):
        out.append("文件明确规定不得这样做。")
    elif features.get("skip_x_sequence"):
        out.append("文件要求先满足前置条件，不能先做后补。")
    if features.get("neg_overlap") and not comparison.detail:
        out.append("文件要求的条件您目前还没有满足。")
    if features.get("absolute_x_condition") and not out:
        out.append("文件没有这样无条件的规定。")
    if not out:
        out.append("按下面引用的条文，您说的情况不符合。")
    return out


def scope_only(scope: Scope) -> str:
    return f"这是{scope.doc_region}的规定，只适用于{scope.doc_region}。"


def scope_line(scope: Scope) -> str:
    """Provincial or city rules are labelled with their place when the asker's place is
    unknown or elsewhere."""
    if scope.relation in ("unknown", "outside", "hukou_only"):
        return scope_only(scope)
    return ""


def conditions(sentence: str, passage: str = "") -> tuple[str, list[str]]:
    """The clause's conditions as short items, and whether any one suffices. A clause that
    introduces a list ("具备下列条件的…："), is an item of one ("（二）非因本人意愿…") or
    points back to one ("符合前款规定的…") is answered with the list's items from its
    passage; "下列情形之一" means any one of them."""
    listed = _listed(sentence, passage)
    if listed:
        return listed
    found = _condition_fragments(sentence)
    s = search_text(sentence)
    header = "满足其中一条即可：" if _any_of(s, found) else "需同时满足："
    if not found:  # a grant to named people ("面向农民工、退役军人…开展培训"): who it is for
        named = named_groups(sentence)
        return ("适用于以下人员，属于其中之一即可：" if len(named) > 1 else "适用于："), \
            [groups().short(g) for g in named[:MAX_CONDITIONS + 2]]
    return ("需要符合文件规定的条件：" if len(found) <= 1 else header), found[:MAX_CONDITIONS]


def _listed(sentence: str, passage: str) -> tuple[str, list[str]] | None:
    """The enumerated list the clause's conditions are, with its header's any-of; a clause
    pointing back to it (前款) adds its own conditions after the list's."""
    s = search_text(sentence)
    if not passage:
        return None
    if "下列" in s:
        header, start = s, _end_of(sentence, passage)
    elif _ITEM.match(sentence.strip()) or "前款" in s:
        at = _end_of(sentence, passage)
        before = list(_LIST_HEADER.finditer(passage[:at if at else len(passage)]))
        if not before:
            return None
        header, start = search_text(before[-1].group(0)), before[-1].end()
    else:
        return None
    kind = _list_kind(header)
    if kind is None:
        return None
    after = _LIST_HEADER.search(passage, start)  # the next list is another clause's
    items = [m.group(1).strip()[:CONDITION_CHARS]
             for m in _ITEM.finditer(passage[start:after.start() if after else len(passage)])]
    if not items:
        return None
    item = _ITEM.match(sentence.strip())
    if item:  # the item the question matched first, however deep in the list it stands
        mine = item.group(1).strip()[:CONDITION_CHARS]
        items = [mine, *(i for i in items if i != mine)]
    own = _own_condition(sentence) if "前款" in s else []
    kept = [*items[:MAX_CONDITIONS], *own][:MAX_CONDITIONS + 1]
    return ("满足其中一条即可：" if kind == "any" and not own else "需同时满足："), kept


def _list_kind(header: str) -> str | None:
    """"any" or "all" by the words right after 下列 in a list's header; None when its
    items are no conditions (下列各项 / 下列支出)."""
    at = header.find("下列")
    after = header[at + 2:at + 2 + _LIST_KIND_CHARS] if at >= 0 else ""
    if clause_cue("list_any_of").any(after):
        return "any"
    return "all" if clause_cue("list_all_of").any(after) else None


def _own_condition(sentence: str) -> list[str]:
    """What a 前款 clause adds to the list it points back to: its words after 「符合前款规定
    的…，」 up to what it grants (「户籍…不在参保地，…确有困难的，经…核准后，可以领取…」)."""
    rest = _ARTICLE.sub("", sentence.strip())
    head = re.match(r"[^，,]*前款[^，,]*[，,]", rest)
    rest = rest[head.end():] if head else rest
    found = [m.start() for c in ("grant", "duty") if (m := clause_cue(c).pattern.search(rest))]
    own = rest[:min(found)].rstrip("，,") if found else ""
    if len(own) < 4:
        return []
    return [own if len(own) <= CONDITION_CHARS else own[:CONDITION_CHARS - 1] + "…"]


def _end_of(sentence: str, passage: str) -> int:
    """Where ``sentence`` ends in ``passage`` (0 when it cannot be found there)."""
    at = passage.find(sentence[-8:])
    return at + 8 if at >= 0 else 0


def _condition_fragments(sentence: str) -> list[str]:
    """The sentence's comma-separated parts that state a condition the asker can meet or
    a limit. A part that only leaves the decision to an authority (「各地根据实际情况」,
    「给予一定的生活费补贴」) is none, nor a limit word with neither a figure nor the 「…的」
    drafting ends a condition with (「最低生活保障」, 「县级以上」; but 「…期满未续订的」)."""
    cue = clause_cue("condition")
    discretion = set(clause_cue("discretion").words)
    limit = clause_cue("threshold")
    found = []
    for m in _FRAGMENT.finditer(sentence):
        fragment = _ARTICLE.sub("", m.group(0).strip())
        norm = search_text(fragment)
        meets = any(w not in discretion for w in cue.find(norm))
        limited = limit.any(norm) and (_FIGURE.search(norm) or norm.endswith("的"))
        if fragment and (meets or limited):
            found.append(fragment[:CONDITION_CHARS])
    return found


def _any_of(sentence: str, found: list[str]) -> bool:
    """「之一」 anywhere, or an 或/或者 that joins the conditions themselves (「…满一年的，或者
    …的」); an 或者 inside one condition (「期满未续订或者提前解除劳动合同的」) offers two ways
    to meet that condition, and the others must still all hold."""
    return "之一" in sentence or any(search_text(f).startswith(("或者", "或"))
                                    for f in found[1:])


def named_groups(sentence: str) -> list[str]:
    """The worker groups a clause names by their nouns (corpus/domain/groups.yaml), in order."""
    found: list[str] = []
    for hit in groups().hits(search_text(sentence)):
        if hit.cue.kind == "noun" and hit.cue.group and hit.cue.group not in found:
            found.append(hit.cue.group)
    return found


def follow_up(facts: dict[str, Any], clause: str = "", regional: bool = True,
              confirmation: str | None = None) -> tuple[str | None, list[str]]:
    """One question for the fact most often missing — who the asker is, then where (only
    when the clause is a province's or a city's: a national one applies everywhere), then
    whether the conditions are met, unless the asker has answered that already — and
    its quick-reply choices: the groups the clause names first, then those offered in
    ``corpus/domain/groups.yaml``."""
    if not facts.get("groups") and not facts.get("employment_status"):
        vocabulary = groups()
        choices = list(dict.fromkeys([*named_groups(clause), *vocabulary.offered]))
        return ("您属于哪类人员？", [vocabulary.short(n) for n in choices[:MAX_CHOICES]])
    if regional and not any(facts.get(k) for k in ("province", "city", "county")):
        return ("您在哪个省、市？", [])
    if confirmation is not None:
        return None, []
    return (CONDITIONS_QUESTION, [MEETS, FAILS, UNSURE])


def confirmation(facts: dict[str, Any], question: str) -> str | None:
    """The asker's own answer (符合 / 不符合 / 不清楚) to whether they meet the conditions
    of ``question`` — only that question: another question has other conditions."""
    said = facts.get("conditions_answer")
    if not isinstance(said, dict) or search_text(str(said.get("question", ""))) \
            != search_text(question):
        return None
    reply = search_text(str(said.get("reply", ""))).strip()
    return reply if reply in (MEETS, FAILS, UNSURE) else None


def noted(facts: dict[str, Any]) -> str:
    """"好的，已记下：退役军人，赣州市。" — what a statement of facts added to the profile."""
    parts = list(facts.get("groups") or [])
    place = facts.get("county") or facts.get("city") or facts.get("province")
    if place:
        parts.append(str(place))
    if facts.get("age"):
        parts.append(f"{facts['age']}岁")
    return f"好的，已记下：{'，'.join(parts)}。" if parts else "好的，已记下。"


def about_person(facts: dict[str, Any]) -> str:
    """The question a statement of facts implies: what applies to this person."""
    who = (facts.get("groups") or ["劳动者"])[0]
    return f"{who}可以参加哪些职业技能培训，享受哪些补贴？"


def answer_span(sentence: str, terms: set[str], form: str) -> str:
    """The part of the answering sentence that answers: the whole sentence when short,
    else the fragments holding the question's words (and, for a number or date question,
    the figure)."""
    sentence = _ARTICLE.sub("", sentence.strip())
    if len(sentence) <= SPAN_CHARS:
        return sentence
    fragments = [m.group(0).strip() for m in _FRAGMENT.finditer(sentence) if m.group(0).strip()]

    def score(fragment: str) -> float:
        norm = search_text(fragment)
        value = sum(len(t) for t in terms if len(t) >= 2 and t in norm)
        if form in ("number", "date") and re.search(r"\d|[一二三四五六七八九十百千万]", norm):
            value += 3
        return value

    ranked = sorted(range(len(fragments)), key=lambda i: -score(fragments[i]))
    keep: list[int] = []
    for i in ranked:
        if sum(len(fragments[j]) for j in keep) + len(fragments[i]) > SPAN_CHARS:
            continue
        keep.append(i)
    return "，".join(fragments[i] for i in sorted(keep)) + "。"


def expired_line(end: str) -> str:
    return f"该规定有效期至{end}，现行做法请向当地人社部门确认。"


def abstain(titles: list[str]) -> str:
    covers = (f"现有文件中相关的只有{'、'.join('《' + t + '》' for t in titles)}，"
              "但没有写到您问的这一点。") if titles else ""
    return f"现有政策文件没有规定这个问题。{covers}{HOTLINE}"


def unknown_term(term: str) -> str:
    """The files never use the term whose meaning was asked: say so, rather than only that
    they do not answer."""
    return f"现有政策文件里没有“{term}”这个说法，没法按文件解释它的意思。{HOTLINE}"


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
