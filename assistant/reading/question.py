"""What a question asks for (a verdict, a number, a date, steps, a meaning) and what the
asker says on the way (negations, relatives, "always/directly", doing things out of order).

Everything works on the search form (Simplified, mainland wording), so a Traditional
question reads exactly like its Simplified twin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.facts import extract_facts
from assistant.reading.cues import question_cue
from corpus.normalize import search_text

_CLAUSE = re.compile(r"[^，,。！!？?；;：:\n]+[？?]?")
# How far before a sentence-final particle the verb of the ask may stand (…能免费学电焊吗).
_ASK_SPAN = 16
# A verb doubled around 不 (发不发, 管不管, 愿不愿意) is Chinese's own yes/no form, whatever
# the verb; listing verbs one by one (给不给, 让不让…) never ends.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")
_NEGATED_OBJECT = 10
_SELF_STATUS = ("家属", "家人", "亲戚")
_QUOTE_MARK = re.compile(r"[“”\"「」『』‘’']")
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{2,})[”\"」』’']")


@dataclass(frozen=True)
class QuestionReading:
    text: str  # search form
    asks_verdict: bool
    form: str  # verdict | number | date | procedure | definition | other
    asks_money: bool
    asks_list: bool
    negated: list[str] = field(default_factory=list)  # what the asker says is not so
    family: list[str] = field(default_factory=list)
    absolute: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    legality: bool = False
    first_person: bool = False
    statement: str = ""  # what the asker says outside the asking clause (我是…，在…)
    asks_need: bool = False  # whether something is required (要不要 / 是否必须)
    term: str = ""  # the term whose meaning is asked (「以工代训是什么意思」: 以工代训)


_CLOSING_ASKS = ("吗", "呢", "么")


def clauses(text: str) -> list[str]:
    return [m.group(0).strip() for m in _CLAUSE.finditer(text) if m.group(0).strip()]


def _is_yes_no_clause(clause: str) -> bool:
    bare = clause.rstrip("？?～~。.！! ")
    if question_cue("asks_verdict").any(bare) or _A_NOT_A.search(bare.replace("不不", "")):
        return True
    asked = clause.rstrip("～~ ").endswith(("？", "?"))
    if any(bare.endswith(w) for w in question_cue("asks_content").words):
        return False
    for particle in question_cue("verdict_final").words:
        if bare.endswith(particle):
            head = bare[: len(bare) - len(particle)][-_ASK_SPAN:]
            # "…开放不？": a question mark after a final 不/没 makes any verb an A-not-A ask
            return question_cue("modal").any(head) or particle in ("吗", "么", "嘛") or asked
    return False


def asks_verdict(text: str) -> bool:
    """A yes/no question anywhere in the message ("我在赣州，能领补贴吗？去哪办")."""
    return any(_is_yes_no_clause(c) for c in clauses(text))


def _asking_index(parts: list[str]) -> int:
    """The last yes/no clause is the ask; with none, the last clause."""
    return next((i for i in range(len(parts) - 1, -1, -1) if _is_yes_no_clause(parts[i])),
                len(parts) - 1)


def _asking_clause(text: str) -> str:
    parts = clauses(text)
    return parts[_asking_index(parts)] if parts else text


def asked_act(text: str) -> str:
    """What the ask is about: the asking clause without its asking and first-person words
    ("企业能否自行对职工进行技能等级评价" → "企业自行对职工进行技能等级评价")."""
    act = _asking_clause(text)
    words = [*question_cue("asks_verdict").words, *question_cue("first_person").words]
    for word in sorted(words, key=len, reverse=True):
        act = act.replace(word, "")
    return act


def statement(text: str) -> str:
    """The asker's own statements: every clause but the ask. A worker who meets a
    condition usually says so before asking (「我是登记失业人员，…能领吗」); one who does
    not say asks bare, so how much is stated, and whether the clause speaks of it, tells
    「可以」 from 「要看条件」."""
    parts = clauses(text)
    ask = _asking_index(parts)
    return "".join(c for i, c in enumerate(parts) if i != ask)


def stated_in(turn: str) -> str:
    """What an earlier turn says of the asker. A turn that asked for a figure or a date
    speaks of its figures as what it asks about (「失业金一个月给多少钱」: a rate, not a
    month of anything the asker did), so only its other clauses count; any other turn
    counts whole (「交了8个月能领吗」 states the eight months)."""
    if read_question(turn).form in ("number", "date"):
        return statement(search_text(turn))
    return turn


def asks_something(text: str) -> bool:
    """A question mark, a closing 吗/呢/么, a yes/no ask or an interrogative word: the turn
    asks, rather than only telling of the asker (「我在厂里干了十几年」)."""
    return _asks(text, read_question(text))


def is_statement(text: str) -> bool:
    """"我是退役军人，在赣州": no question in it at all, nor a figure or a date asked about."""
    q = read_question(text)
    return not _asks(text, q) and "呢" not in text and q.form == "other"


def _asks(text: str, q: QuestionReading) -> bool:
    s = search_text(text).strip().rstrip("。.！! ")
    return ("？" in s or "?" in s or s.endswith(_CLOSING_ASKS) or q.asks_verdict
            or question_cue("open_ask").any(s))


def leans_on_earlier(text: str) -> bool:
    """「那我老婆呢」, 「这种情况能报吗」, 「她自己也能参加吗」, 「还能享受吗」: the message
    continues an earlier question rather than asking a new one."""
    s = search_text(text).lstrip()
    return s.startswith(question_cue("refers_back").words) or question_cue("points_back").any(s)


def _negated(text: str) -> list[str]:
    """Statements that something is not so, with what follows the negation ("没拿到合格证明"),
    outside the asking clause itself ("能不能" is an ask, not a negation)."""
    found = []
    for body in clauses(text):
        for m in question_cue("negation").pattern.finditer(body):
            before = body[max(0, m.start() - 1):m.start()]
            after = body[m.end():m.end() + 2]
            a_not_a = before in ("能", "可", "是", "有", "会", "算") or (
                after.startswith(("不", "有")) and m.group(0) in ("没", "不是"))
            if a_not_a:
                continue  # 能不能 / 是不是 / 有没有: an ask, not a negation
            found.append(body[m.start():m.end() + _NEGATED_OBJECT])
    return found


def _relatives_for_the_asker(s: str) -> list[str]:
    """Relatives who would benefit without holding the status a clause names: the asker
    claims through them ("我老公是退伍军人，我能…吗"), or asks about one the question gives
    no status of their own ("那我老婆呢"). A relative described with a status of their own
    ("我儿子技校毕业一年了还没找到工作，能…吗"), or who is the one who would train, work or
    claim ("我妈60岁了想学养老护理，能免费学吗"), is the beneficiary, and nothing is amiss."""
    found = question_cue("family").find(s)
    if not found:
        return []
    relatives = [w for w in found if w not in _SELF_STATUS] or found
    parts = clauses(s)
    asking = parts[_asking_index(parts)] if parts else s
    speaks = question_cue("first_person").find(asking)
    relative_here = any(w not in _SELF_STATUS for w in question_cue("family").find(asking))
    if speaks and not relative_here:
        return relatives
    if any(_says_of(part, relatives) for part in parts):
        return []
    as_self = s
    for word in relatives:
        as_self = as_self.replace(f"我{word}", "我").replace(word, "我")
    own = extract_facts(as_self)
    return [] if own.get("groups") or own.get("employment_status") else relatives


def _says_of(part: str, relatives: list[str]) -> bool:
    """The clause has a relative for its subject and says something of them (「我妈60岁了
    想学养老护理」), not only names them (「那我老婆呢」)."""
    for word in relatives:
        for opening in (f"我{word}", f"我们{word}", word):
            if part.startswith(opening):
                said = part[len(opening):].rstrip("？?。.！!～~ 呢吗啊呀的")
                return len(said) >= 2
    return False


def asked_term(text: str) -> str:
    """The term whose meaning a question asks (「以工代训是什么意思」, 「什么叫技能提升补贴」),
    in search form; "" when it asks none, or points at something said before (这是…).
    The term ends where its clause does, or at a space (「啥叫职业教育 就是技校吗」); fillers in
    front (请问, 我想问) are not in it."""
    for part in (piece for clause in clauses(text) for piece in clause.split()):
        part = part.rstrip("？?～~。.！! 呀啊呢吗")
        term = ""
        if after := question_cue("term_after").find(part):
            term = part[part.find(after[0]) + len(after[0]):]
        elif before := question_cue("term_before").find(part):
            term = part[:part.find(before[0])]
            term = term[len(_leading_filler(term)):]
        term = _named_term(_without_adverbs(term.strip()))
        points = any(term.startswith(w) for w in question_cue("refers_back").words)
        if len(term) >= 2 and not points and not question_cue("first_person").any(term):
            return term
    return ""


def _without_adverbs(phrase: str) -> str:
    adverbs = question_cue("term_adverb").words
    while stripped := next((a for a in adverbs if phrase.endswith(a)), ""):
        phrase = phrase[:-len(stripped)]
    return phrase


def _named_term(phrase: str) -> str:
    """The term itself out of 「条例所称的“X”」: a quoted term, else what follows 所称 / 中的;
    "" for several quoted things at once (「“1”和“X”」)."""
    quoted = _QUOTED.findall(phrase)
    if len(quoted) == 1:
        return quoted[0]
    for word in question_cue("term_source").find(phrase):
        phrase = phrase[phrase.rfind(word) + len(word):]
    return "" if _QUOTE_MARK.search(phrase) else phrase


def _leading_filler(term: str) -> str:
    found = question_cue("asking_filler").find(term)
    return found[0] if found and term.startswith(found[0]) else ""


def _skipped(text: str) -> list[str]:
    """The skip words of the question, but a 「以后再」 after a step done (「拿了初级证以后
    再考中级」: 了 in its clause before it) is the proper order of steps, not putting one off."""
    found = []
    for part in clauses(text):
        for word in question_cue("skip").find(part):
            done = "了" in part[:part.find(word)]
            if not (done and question_cue("later").any(word)):
                found.append(word)
    return found


def read_question(question: str) -> QuestionReading:
    s = search_text(question)
    # whether a document is still in force is a fact about the document, not a permission
    validity = question_cue("asks_validity").any(_asking_clause(s)) \
        and question_cue("document_kind").any(s)
    verdict = asks_verdict(s) and not validity and (
        not question_cue("cost").any(s) or question_cue("permission").any(_asking_clause(s)))
    if validity:
        form = "date"
    elif verdict:
        form = "verdict"
    elif question_cue("definition").any(s):
        form = "definition"
    elif question_cue("date").any(s):
        form = "date"
    elif question_cue("number").any(s):
        form = "number"
    elif question_cue("procedure").any(s):
        form = "procedure"
    else:
        form = "other"
    return QuestionReading(
        text=s, asks_verdict=verdict, form=form,
        asks_money=question_cue("money").any(s), asks_list=question_cue("list").any(s),
        negated=_negated(s), family=_relatives_for_the_asker(s),
        absolute=question_cue("absolute").find(s), skip=_skipped(s),
        legality=question_cue("legality").any(s), first_person=question_cue("first_person").any(s),
        statement=statement(s), asks_need=question_cue("asks_need").any(_asking_clause(s)),
        term=asked_term(s),
    )
