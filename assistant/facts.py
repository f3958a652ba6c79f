"""Profile facts from what a worker writes, with the field names of the worker profile
(``shared/schemas/worker_profile.md``): ``groups``, ``province``/``city``/``county``,
``hukou_province``, ``age``, ``education``, ``employment_status``, ``interests_text``,
``certificates``, ``subject`` and the event facts ``completed_online_course``,
``has_course_certificate`` and ``has_labour_contract``.

Rules, not a model: each fact must be explainable to a counselor ("you said 当过兵") and
the whole thing must run in well under a couple of milliseconds on every chat turn.

Who is speaking matters more than which words appear. A question *about* a group
("退役军人能参加培训吗") says nothing about the asker, so group names (nouns) count only in
a first-person claim; self-descriptions ("当过兵", "下岗了") count unless somebody else
is the subject ("我儿子当过兵") or they name a category ("当过兵的人能…吗"). Negated claims
("我不是退役军人") are kept apart in ``not_groups`` so the dialogue never asks again.
Text is first brought to the search form (Simplified, mainland wording, NFKC) so
Traditional input behaves exactly like Simplified.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from corpus.domain.vocabulary import CueHit, levels
from corpus.domain.vocabulary import groups as group_vocabulary
from corpus.normalize import normal_form
from corpus.regions import Region, regions, short_name

Facts = dict[str, Any]


# ---------------------------------------------------------------------------- text form


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    question: bool  # ends with a question mark


_CLAUSE_BREAK = re.compile(r"[，,。！!？?；;：:\n\r\t ]+|\.(?!\d)")


def clauses(s: str) -> list[Clause]:
    """Spans between punctuation; 、 is not a break ("退役军人、农民工能…" is one topic)."""
    out: list[Clause] = []
    start = 0
    for m in _CLAUSE_BREAK.finditer(s):
        if m.start() > start:
            out.append(Clause(start, m.start(), "?" in m.group() or "？" in m.group()))
        start = m.end()
    if start < len(s):
        out.append(Clause(start, len(s), False))
    return out


def clause_at(cls: list[Clause], pos: int) -> Clause:
    for c in cls:
        if c.start <= pos < c.end:
            return c
    return Clause(pos, pos, False)


# ----------------------------------------------------------------------------- speaker

# Longest first, so "我儿子" reads as 我 + 儿子 (third person wins, it comes last) and
# "我家人" as someone else, while "我家" alone is the speaker's household.
_THIRD = (
    "我家人", "他们", "她们", "他", "她", "儿子", "女儿", "孩子", "小孩", "老公", "老婆", "丈夫",
    "妻子", "爱人", "媳妇", "父亲", "母亲", "爸爸", "妈妈", "父母", "爸", "妈", "朋友", "亲戚",
    "同事", "邻居", "弟弟", "妹妹", "哥哥", "姐姐", "兄弟", "家人", "工人们",
    "别人", "哪些", "什么人", "什么样的", "谁", "哪类", "哪种", "这些人", "那些人",
    "对方", "亲属", "家属", "侄子", "外甥",
)
_FIRST = ("我们", "咱们", "俺们", "我家", "家里", "本人", "俺", "咱", "我")
_PLURAL = {"我们", "咱们", "俺们"}
_SUBJECT = re.compile("|".join(sorted(map(re.escape, _THIRD + _FIRST), key=len, reverse=True)))
_THIRD_SET = frozenset(_THIRD)


@dataclass(frozen=True)
class Speaker:
    person: str | None  # "first", "third" or None (dropped subject)
    plural: bool
    same_clause: bool
    after: int  # where the subject marker ends (clause start when there is none)


@dataclass(frozen=True)
class Subject:
    start: int
    end: int
    word: str


@dataclass(frozen=True)
class Parsed:
    """A message in search form with its clauses, group cues and subject words."""

    s: str
    clauses: list[Clause]
    hits: list[CueHit]
    subjects: list[Subject]


def parse(text: str) -> Parsed:
    """Normalise once and find what every extractor needs."""
    s = normal_form(text)
    hits = group_vocabulary().hits(s)
    subjects = [Subject(m.start(), m.end(), m.group()) for m in _SUBJECT.finditer(s)
                if not _inside_cue(m.start(), m.end(), hits) and s[m.start() - 1:m.start()] != "其"]
    return Parsed(s, clauses(s), hits, subjects)


def _inside_cue(start: int, end: int, hits: list[CueHit]) -> bool:
    """"我是全职妈妈": 妈妈 there is what the speaker is, not who speaks."""
    return any(h.start <= start and end <= h.end for h in hits)


def speaker(p: Parsed, pos: int) -> Speaker:
    """Who the words at ``pos`` are about: the nearest subject before them.

    A subject carries over from earlier clauses ("我今年28，当过兵") because Chinese
    drops repeated subjects.
    """
    clause = clause_at(p.clauses, pos)
    last = None
    for subject in p.subjects:
        if subject.end > pos:
            break
        last = subject
    if last is None:
        return Speaker(None, False, False, clause.start)
    person = "third" if last.word in _THIRD_SET else "first"
    same = last.start >= clause.start
    return Speaker(person, last.word in _PLURAL, same, last.end if same else clause.start)


_NEGATED = re.compile(r"(不是|不属于|不算|并非|非|没有?|从没有?|从来没有?|从未|未曾|不曾|未)"
                      r"(一名|一个|一位|个|名|位|曾经|曾|过|有|当过|当)?$")
_MODAL = re.compile(r"(想|要|打算|准备|将来|以后|希望|计划|可能|会不会|能不能|可不可以|是否|"
                    r"怕|担心)$")
_HYPOTHETICAL = re.compile(r"如果|假如|要是|假设|万一|比如|例如|比方")
_ASKING = re.compile(r"问|咨询|了解|请教|打听|知道|看看|查")
_COPULA = re.compile(r"是|属于|算|作为|身为|系")
# "我是退役军人家属", "我们是残疾人就业基地": the group name only qualifies another noun.
_MODIFIES = re.compile(r"^(的?(家属|子女|家庭|亲属|配偶)|就业|创办|创业|开办|开的|办的|的企业|"
                       r"企业|基地|协会|组织|服务|事务|保障|培训|学校|中心|专场|联合会|之家|"
                       r"站|队|平台|工作)")
# "我算不算…", "我是不是…": the speaker asks, they neither claim nor deny.
_ASKS_IF = re.compile(r"算不算|属不属于|是不是|是否|算是不是|可不可以算|能不能算|有没有")
_GENERIC_AFTER = re.compile(
    r"^(的(人|同志|朋友|人员|群体|家庭|能|可以|有|是否|怎么|算|都|也|还|要|需要|该|是不是|会|在|去|和|或)"
    r"|人员|者|的话|后的|以后的|之后的|群体|们)")
_SELF_INTRO_BEFORE = re.compile(r"(本人|我)?(也|就)?(是)?(作为|身为)?(一名|一个|一位|个|名)?")
_SELF_INTRO_AFTER = re.compile(r"(一枚|一个|啊|呀|哈|哦|的|呢|嘛)?")


def is_negated(prefix: str) -> bool:
    return bool(_NEGATED.search(prefix))


def _names_category(cue: str, after: str) -> bool:
    """"当过兵的人…", "打工的能…吗", "下岗人员": the words describe a category."""
    if cue.endswith("的"):
        return bool(after) and bool(_GENERIC_AFTER.match("的" + after))
    return bool(_GENERIC_AFTER.match(after))


def is_first_person_statement(p: Parsed, start: int, end: int) -> bool | None:
    """For a self-description at ``s[start:end]``: True if the speaker says it of
    themselves, False if they deny it, None if it is about someone else or a category."""
    s, cls = p.s, p.clauses
    clause = clause_at(cls, start)
    if _HYPOTHETICAL.search(s, clause.start, clause.end):
        return None
    who = speaker(p, start)
    if who.person == "third":
        return None
    prefix = s[who.after:start]
    if _ASKING.search(prefix) or _MODAL.search(prefix) or _ASKS_IF.search(prefix):
        return None
    generic = _names_category(s[start:end], s[end:clause.end])
    first_here = who.person == "first" and who.same_clause
    if generic and not (first_here and _COPULA.search(prefix)):
        return None
    return not is_negated(prefix)


def is_first_person_claim(p: Parsed, start: int, end: int) -> bool | None:
    """For a group name at ``s[start:end]``: True for "我是…", "作为…", or a clause that
    is only the name ("退伍军人，在赣州"); False for "我不是…"; None otherwise."""
    s, cls = p.s, p.clauses
    clause = clause_at(cls, start)
    if _HYPOTHETICAL.search(s, clause.start, clause.end):
        return None
    who = speaker(p, start)
    if who.person == "third":
        return None
    prefix = s[who.after:start]
    if _ASKS_IF.search(prefix):
        return None
    if _MODIFIES.match(s[end:clause.end]):
        return None
    if who.person == "first" and who.same_clause:
        copula = _COPULA.search(prefix)
        # "我们的员工大多是农民工": a possessive before the copula changes the subject.
        if (copula and len(prefix) <= 12 and "的" not in prefix[:copula.start()]
                and not _ASKING.search(prefix)):
            return not is_negated(prefix)
        return None
    before, rest = s[clause.start:start], s[end:clause.end]
    if re.fullmatch(r"(作为|身为)(一名|一个|一位)?", before):
        return True
    if (not clause.question and _SELF_INTRO_BEFORE.fullmatch(before)
            and _SELF_INTRO_AFTER.fullmatch(rest)):
        return not is_negated(before)
    return None


# ------------------------------------------------------------------------------ groups


def extract_groups(p: Parsed, org: bool) -> Facts:
    """``groups``, ``not_groups`` and ``employment_status`` from the cue table."""
    groups: list[str] = []
    not_groups: list[str] = []
    statuses: list[str] = []
    for hit in p.hits:
        if hit.cue.kind == "ignore":
            continue
        judge = is_first_person_claim if hit.cue.kind == "noun" else is_first_person_statement
        verdict = judge(p, hit.start, hit.end)
        if verdict is None or (org and speaker(p, hit.start).plural):
            continue
        group = hit.cue.group
        if verdict:
            if group:
                _push(groups, group, exclusive=group_vocabulary().exclusive)
            if hit.cue.status:
                statuses.append(hit.cue.status)
        elif group and group not in not_groups:
            not_groups.append(group)
    if _graduated(p.s, groups, not_groups):
        _push(groups, "高校毕业生", exclusive=group_vocabulary().exclusive)
    facts: Facts = {}
    groups = [g for g in groups if g not in not_groups]
    if groups:
        facts["groups"] = groups
    if not_groups:
        facts["not_groups"] = not_groups
    status = _status(statuses, groups)
    if status:
        facts["employment_status"] = status
    return facts


_COLLEGE = re.compile(r"(我是|本人|我)(大专|本科|研究生|硕士|博士|大学)(生|学历)?")
_JUST_GRADUATED = re.compile(r"(刚|今年|去年|前年)(才)?毕业|毕业(了|没多久|不久|一年|两年|二年)")


def _graduated(s: str, groups: list[str], not_groups: list[str]) -> bool:
    """"我是大专生，今年刚毕业": a college-level speaker who has graduated."""
    return ("高校毕业生" not in groups and "高校毕业生" not in not_groups
            and "在校学生" not in groups
            and bool(_COLLEGE.search(s)) and bool(_JUST_GRADUATED.search(s)))


def _push(groups: list[str], group: str, exclusive: tuple[frozenset[str], ...]) -> None:
    """Add ``group``; a later claim replaces an incompatible earlier one."""
    for family in exclusive:
        if group in family:
            groups[:] = [g for g in groups if g not in family or g == group]
    if group not in groups:
        groups.append(group)


def _status(statuses: list[str], groups: list[str]) -> str | None:
    """The last status mentioned (people say what they did, then what they do now);
    a graduate without work is ``graduate_unemployed``."""
    if not statuses:
        return "student" if "在校学生" in groups else None
    status = statuses[-1]
    if status == "unemployed" and "高校毕业生" in groups:
        return "graduate_unemployed"
    return status


# ----------------------------------------------------------------------------- regions

# Names that are also ordinary words, or that many counties share: they count only
# next to a region that contains them ("长治市城区") or after 在/住在/来自.
_GENERIC_PLACES = frozenset((
    "城区", "郊区", "矿区", "东区", "西区", "新区", "城中区", "城关区", "市中区", "城北区",
    "城东区", "城西区", "城南区", "新城区", "老城区", "城中", "城关", "市中", "城北", "城东",
    "城西", "城南", "新城", "老城", "开发区", "高新区",
))
_COMMON_WORDS = frozenset((
    "资源", "合作", "和平", "比如", "南部", "解放", "东方", "前进", "港口", "公安", "友好", "共和",
    "平安", "安定", "延长", "新兴", "运河", "东风", "红旗", "中方", "凤凰", "万年", "城北", "大方",
    "复兴", "振兴", "新华", "工农", "富裕", "清水", "高明", "前锋", "长子", "清新", "宏伟", "平定",
    "芙蓉", "洞口", "石门", "向阳", "温泉", "三元", "大名", "会同", "金台", "建平", "莲花", "平和",
    "名山", "六合", "白云", "矿区", "全州", "桃源", "当阳", "大观", "永和", "二七", "台前", "金山",
    "方城", "双桥", "月湖", "文峰", "保康", "高台", "九龙", "二道", "无为", "河间", "民权", "小店",
    "同心", "宝塔", "元宝", "平房", "太白", "定远", "白玉", "灯塔", "大兴", "木兰", "天涯", "七星",
    "海棠", "博爱", "同仁", "回民", "钟楼", "江岸", "盘龙", "马尾", "红星", "方正", "黑水", "安居",
    "龙凤", "鼓楼", "湖里", "麒麟", "富民", "清流", "水城", "龙口", "紫金", "老城", "建华", "文昌",
    "阿里", "白银", "大同", "来宾", "日照", "安康", "长治", "金华", "常德", "开封", "江南", "城中",
    "东山", "南山", "青山", "西湖", "江北", "普陀", "宝山", "长安", "新城", "桥西", "桥东", "铁西",
    "铁东", "河东", "中山", "大安", "永定", "龙山", "兴山", "太和", "梨树", "象山", "华容", "安宁",
    "长宁", "兴宁", "东兴", "钟山", "沙湾", "金川", "五华", "城关", "市中", "白山", "通化", "吉利",
    "新民", "高新", "开发",
))
_ALIASES = {"内蒙": "内蒙古自治区", "锡盟": "锡林郭勒盟", "阿盟": "阿拉善盟", "呼市": "呼和浩特市"}
_LOCATIVE_BEFORE = re.compile(r"(在|住在|住|到|家在|现居|定居)$")
_OWN_AFTER = re.compile(r"^(的|人|这边|那边|这里|那里|本地|户口|户籍|市区|县城|地区)")
_HUKOU_BEFORE = re.compile(r"(户口在|户口是|户籍在|户籍是|户籍地是?|户口所在地是?|老家在|"
                           r"老家是|老家|籍贯是?|户口落在|户口迁到|来自)$")
_HUKOU_AFTER = re.compile(r"^(户口|户籍|籍(?!贯))")
_PERSON_OF = re.compile(r"^人(?!社|力|民|大|口)")
# "宁波市职业技能培训条例", "济南这个规定", "江西省人社厅": a document or an agency, not where
# one lives ("广东省规定的比例" still names the place asked about).
_DOC_AFTER = re.compile(r"^[^，。？！,?!的]{0,10}?(条例|规划|实施方案|实施意见|办法)|"
                        r"^[^，。？！,?!的]{0,6}?(这个|那个|这项|该)(规定|细则|政策|文件)|"
                        r"^(省|市|自治区)?(“|\"|人社|人力资源|政府|财政|教育厅|发改委|总工会)|"
                        r"^(大学|学院|职业技术学院|路|大道|街|公园|医院|银行)")
# "江西这边", "本地": the speaker's own side, as good as 在江西.
_HERE_AFTER = re.compile(r"^(这边|这里|本地)")
_SHORT_REPLY = 8  # "九江" / "不对，九江": a bare place as a reply or correction is where one is
# "想去北京打工", "准备到深圳": a place one intends to go to is not where one lives.
_DESTINATION_BEFORE = re.compile(r"(想|要|打算|准备|计划|希望|将)(去|到)$")
_NOT_THERE = re.compile(r"(不在|不是|没在|不住在?|不去|并非)$")


@dataclass(frozen=True)
class RegionIndex:
    names: dict[str, tuple[Region, ...]]
    full: frozenset[str]
    lengths: dict[str, tuple[int, ...]]  # first character → name lengths, longest first


@lru_cache(maxsize=1)
def region_index() -> RegionIndex:
    """Every full and short region name → the regions it can mean (national excluded)."""
    table = regions()
    names: dict[str, list[Region]] = {}
    full: set[str] = set()
    for region in table.by_code.values():
        if region.level == "national":
            continue
        full.add(region.name)
        for key in {region.name, short_name(region.name)}:
            if len(key) >= 2:
                names.setdefault(key, []).append(region)
    for alias, name in _ALIASES.items():
        names.setdefault(alias, []).extend(r for r in table.by_code.values() if r.name == name)
    frozen = {k: tuple(v) for k, v in names.items() if v}
    lengths: dict[str, set[int]] = {}
    for name in frozen:
        lengths.setdefault(name[0], set()).add(len(name))
    by_first = {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}
    return RegionIndex(frozen, frozenset(full), by_first)


@dataclass
class Mention:
    start: int
    end: int
    name: str
    candidates: tuple[Region, ...]
    locative: bool
    hukou: bool
    destination: bool = False  # "想去北京打工": where one means to go, not where one is
    chosen: Region | None = None


def region_mentions(s: str) -> list[Mention]:
    """Region names in ``s``, longest match first, left to right."""
    index = region_index()
    out: list[Mention] = []
    i = 0
    while i < len(s):
        for length in index.lengths.get(s[i], ()):
            name = s[i:i + length]
            if len(name) == length and name in index.names:
                out.append(_mention(s, i, i + length, name, index))
                i += length
                break
        else:
            i += 1
    found = [m for m in out if m is not None]
    _compound_hukou(s, found)
    return found


def _compound_hukou(s: str, mentions: list[Mention]) -> None:
    """"我是江西赣州人": adjacent names form one place; the cue before the first or after
    the last makes all of them the household registration."""
    i = 0
    while i < len(mentions):
        j = i
        while j + 1 < len(mentions) and mentions[j + 1].start == mentions[j].end:
            j += 1
        run = mentions[i:j + 1]
        before, after = s[max(0, run[0].start - 6):run[0].start], s[run[-1].end:run[-1].end + 4]
        if any(m.hukou for m in run) or (before.endswith("是") and _PERSON_OF.match(after)):
            for m in run:
                m.hukou = True
        i = j + 1


def _mention(s: str, start: int, end: int, name: str, index: RegionIndex) -> Mention | None:
    before, after = s[max(0, start - 6):start], s[end:end + 16]
    if _NOT_THERE.search(before) or _DOC_AFTER.match(after) or "《" in s[max(0, start - 12):start]:
        return None
    hukou = bool(_HUKOU_BEFORE.search(before) or _HUKOU_AFTER.match(after)
                 or (before.endswith("是") and _PERSON_OF.match(after)))
    here = bool(_LOCATIVE_BEFORE.search(before) or _HERE_AFTER.match(after))
    return Mention(start, end, name, index.names[name], here, hukou,
                   destination=bool(_DESTINATION_BEFORE.search(before)))


def _related(a: Region, b: Region) -> bool:
    """One region contains the other (or they are the same)."""
    table = regions()
    return a in table.lineage(b) or b in table.lineage(a)


def _depth(region: Region) -> int:
    return {"province": 1, "prefecture": 2, "county": 3}.get(region.level, 0)


def _allowed(s: str, m: Mention, region: Region, supported: bool) -> bool:
    """May mention ``m`` mean ``region``? Everyday words and shared or generic names
    need another mention that contains them, or a locative ("在大同")."""
    if m.name in _GENERIC_PLACES:
        return supported
    short_county = region.level == "county" and region.name != m.name
    if m.name in _COMMON_WORDS:
        return supported or (m.locative and region.level != "county")
    if short_county:
        return supported or m.locative or bool(_OWN_AFTER.match(s[m.end:]))
    return True


def resolve_mentions(s: str, mentions: list[Mention]) -> list[Mention]:
    """Pick one region per mention, using the other mentions to settle ambiguity
    ("北京朝阳区" is Beijing's 朝阳区; "朝阳" alone is 朝阳市, the higher level; "鼓楼区"
    alone is four places, so it is dropped rather than guessed)."""
    for m in mentions:
        options = []
        for region in m.candidates:
            supported = any(_related(region, c) for o in mentions if o is not m
                            for c in o.candidates)
            if _allowed(s, m, region, supported):
                options.append((not supported, _depth(region), region))
        if not options:
            continue
        options.sort(key=lambda o: o[:2])
        best = {o[2].code: o[2] for o in options if o[:2] == options[0][:2]}
        if len(best) == 1:
            m.chosen = next(iter(best.values()))
    return [m for m in mentions if m.chosen is not None]


def _fill(region: Region) -> Facts:
    """``province``/``city``/``county`` from a region's lineage. A municipality is both
    province and city (北京市朝阳区 → province 北京市, city 北京市, county 朝阳区)."""
    facts: Facts = {}
    for r in regions().lineage(region):
        if r.level == "county":
            facts["county"] = r.name
        elif r.level == "prefecture":
            facts["city"] = r.name
        elif r.level == "province":
            facts["province"] = r.name
            if r.is_municipality:
                facts.setdefault("city", r.name)
    return facts


def extract_regions(s: str) -> Facts:
    """Residence (``province``/``city``/``county``) and ``hukou_province``."""
    mentions = resolve_mentions(s, region_mentions(s))
    facts: Facts = {}
    hukou = [m for m in mentions if m.hukou]
    if hukou:
        facts["hukou_province"] = _fill(hukou[-1].chosen)["province"]  # type: ignore[arg-type]
    lived = [m for m in mentions if not m.hukou and not m.destination]
    if lived:
        facts.update(_fill(_residence(lived)))
    return facts


def names_place_only(s: str) -> bool:
    """Places are named in a longer message, none of them as where the asker lives or comes
    from ("听说内蒙古品牌培训补贴能上浮30%，我们能拿吗"): they are the place asked about."""
    mentions = [m for m in resolve_mentions(s, region_mentions(s)) if not m.destination]
    if not mentions or len(s) <= _SHORT_REPLY:
        return False
    return not any(m.locative or m.hukou or _OWN_AFTER.match(s[m.end:])
                   or s[max(0, m.start - 1):m.start] == "是" for m in mentions)


def _residence(mentions: list[Mention]) -> Region:
    """The most specific region that agrees with the most mentions; a place after
    在/住在 beats one merely named ("我从九江到赣州" → 赣州)."""
    def score(m: Mention) -> tuple[bool, int, int, int]:
        region = m.chosen
        agree = sum(_related(region, o.chosen) for o in mentions)  # type: ignore[arg-type]
        return m.locative, agree, _depth(region), m.start  # type: ignore[arg-type]
    best = max(mentions, key=score)
    chain = [m.chosen for m in mentions if _related(best.chosen, m.chosen)]  # type: ignore[arg-type]
    return max(chain, key=_depth)  # type: ignore[arg-type]


# -------------------------------------------------------------------------- numbers/age

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_NUM = r"\d{1,3}|[一二两三四五六七八九十]{1,3}"


def parse_number(token: str) -> int | None:
    """"28", "二十八", "十八", "四十" → int; anything else → None."""
    if token.isdigit():
        return int(token)
    if "十" in token:
        tens, _, ones = token.partition("十")
        if len(token) > 3 or "十" in ones:
            return None
        return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones
                                                                else 0)
    if len(token) == 1 and token in _CN_DIGITS:
        return _CN_DIGITS[token]
    return None


_AGE_PATTERNS = (
    re.compile(rf"(?P<n>{_NUM})(周岁|岁)(?!(以下|以上|以内|之间|及以|至|到|-|~|～|—|或))"),
    re.compile(rf"今年(才|已经|都|是)?(?P<n>{_NUM})(?![\d年月号日万元%％个天级人名块度点岁])(了|啦)?"),
    re.compile(rf"(我|本人|俺)(都|已经|也|才)?(?P<n>{_NUM})(了|啦)(?![\d年月号日万元%％个天级人名块度点])"),
)
_CONDITION_BEFORE = re.compile(r"(满|未满|不满|超过|年满|大于|小于|低于|高于|不超过|不到|到|至|"
                               r"-|~|、|或)$")


def extract_age(p: Parsed) -> int | None:
    s = p.s
    for pattern in _AGE_PATTERNS:
        for m in pattern.finditer(s):
            age = parse_number(m.group("n"))
            if age is None or not 14 <= age <= 80:
                continue
            if _CONDITION_BEFORE.search(s[max(0, m.start() - 2):m.start()]):
                continue
            if _NOT_THERE.search(s[max(0, m.start() - 3):m.start()]):
                continue
            if speaker(p, m.start()).person == "third":
                continue
            return age
    return None


# --------------------------------------------------------------------------- education

_EDU_RANK = {"小学": 0, "初中": 1, "高中": 2, "中专": 2, "大专": 3, "本科": 4, "研究生": 5}
_EDU_WORDS = {
    "研究生": "研究生|硕士|博士", "本科": "本科|大学本科", "大专": "大专|专科|高职",
    "中专": "中专|中职|技校|职中|职高", "高中": "高中|普高", "初中": "初中", "小学": "小学",
}
_EDU_ALT = "|".join(_EDU_WORDS.values())
_EDU_PATTERNS = (
    re.compile(rf"(?P<e>{_EDU_ALT})(学历|文化|文凭|水平|程度|毕业|读完|念完|在读|生)"),
    re.compile(rf"(读|上|念)(过|完|了|的)?(?P<e>{_EDU_ALT})"),
    re.compile(rf"是(?P<e>{_EDU_ALT})"),
    re.compile(r"(?P<e>大学)毕业"),
)
_EDU_FAILED = re.compile(r"没考上(?P<e>高中|大学)|(?P<f>中考|高考|高中|大学)没考上|(?P<g>高考)落榜")
_EDU_CONDITION_BEFORE = re.compile(r"(适合|面向|针对|要求|需要|限|招收|招)$")
_EDU_CONDITION_AFTER = re.compile(r"^(毕业生|及以上|以上|及以下|以下|或|和|以及)")


def _edu_level(word: str) -> str | None:
    if word == "大学":
        return "本科"
    for level, alternatives in _EDU_WORDS.items():
        if word in alternatives.split("|"):
            return level
    return None


def extract_education(p: Parsed) -> str | None:
    """The highest level the speaker states; "没考上高中" means 初中."""
    s = p.s
    found: list[str] = []
    blocked: list[tuple[int, int]] = []
    for m in _EDU_FAILED.finditer(s):
        word = m.group("e") or m.group("f") or m.group("g")
        if speaker(p, m.start()).person != "third":
            found.append("初中" if word in ("高中", "中考") else "高中")
        blocked.append(m.span())
    for pattern in _EDU_PATTERNS:
        for m in pattern.finditer(s):
            if any(a <= m.start("e") < b for a, b in blocked):
                continue
            if _EDU_CONDITION_AFTER.match(s[m.end():]) or _EDU_CONDITION_BEFORE.search(
                    s[max(0, m.start() - 2):m.start()]):
                continue
            if _first_person_fact(p, m.start(), m.end("e")) is not True:
                continue
            level = _edu_level(m.group("e"))
            if level:
                found.append(level)
    return max(found, key=_EDU_RANK.__getitem__) if found else None


# ---------------------------------------------------------------------------- schooling

# Which school the speaker attends or left, and where they are in the school calendar:
# the facts the youth and graduate rules read (school_type, in_graduation_year, …).
_SCHOOLS = (
    ("vocational", r"技工学校|技工院校|技师学院|技校|职业学校|职业院校|职业技术学院|"
                   r"职校|职高|中专|中职|高职|大专|专科"),
    ("university", r"大学|本科|高校|研究生|硕士|博士|大[一二三四]"),
    ("high_school", r"高中|普高|高[一二三]"),
    ("junior_high", r"初中"),
)
_SCHOOL = re.compile("|".join(f"(?P<{kind}>{alt})" for kind, alt in _SCHOOLS))
# The school word must describe the speaker: "我是…技校的学生", "技校毕业", "读大专".
_SCHOOL_ROLE = re.compile(r"^[^，。？！,?!]{0,6}?(的)?(应届|毕业|学生|在读|读书|生|念书|学员|读完)"
                          r"|^$|^[，。？！,?!]")
_SCHOOL_VERB = re.compile(r"(读|上|念|在|是)(过|完|了|的)?[^，。？！,?!]{0,6}$")
_THIS_YEAR = re.compile(r"应届|毕业年度|今年(刚|才|夏天|六月|七月|6月|7月)?毕业|"
                        r"今年(刚)?(从[^，。？！,?!]{1,10})?毕业")
_FINAL_YEAR = re.compile(r"毕业班|毕业学年|大四|高三|最后一年|最后一学年|明年(就|要)?毕业|"
                         r"快(要)?毕业|马上(就|要)?毕业|即将毕业")
_YEARS_AGO = {"去年": 1, "前年": 2}
_LEFT_AGO = re.compile(rf"(?P<w>去年|前年)[^，。？！,?!]{{0,8}}?毕业|"
                       rf"毕业(已经|都|快)?(?P<n>{_NUM})年")
_WISH = re.compile(r"想|要|打算|准备|希望|计划|考虑")


def _own_schooling(p: Parsed, start: int, end: int) -> bool:
    """Only what a named first-person speaker says ("我是技校的应届生"): "技校学生能…吗"
    asks about a category, "我想读技校" is a wish."""
    who = speaker(p, start)
    if who.person != "first" or _WISH.search(p.s, who.after, start):
        return False
    return _first_person_fact(p, start, end) is True


def extract_schooling(p: Parsed) -> Facts:
    """``school_type``, ``in_graduation_year``, ``in_final_school_year`` and
    ``years_since_graduation`` as the speaker states them of themselves."""
    s = p.s
    facts: Facts = {}
    for m in _SCHOOL.finditer(s):
        before = s[max(0, m.start() - 8):m.start()]
        if not (_SCHOOL_ROLE.match(s[m.end():]) or _SCHOOL_VERB.search(before)):
            continue
        if not _own_schooling(p, m.start(), m.end()):
            continue
        facts["school_type"] = m.lastgroup
        break
    for pattern, fact in ((_THIS_YEAR, "in_graduation_year"),
                          (_FINAL_YEAR, "in_final_school_year")):
        m = pattern.search(s)
        if m and _own_schooling(p, m.start(), m.end()):
            facts[fact] = True
    if facts.get("in_graduation_year"):
        facts["years_since_graduation"] = 0
    elif (m := _LEFT_AGO.search(s)) and _own_schooling(p, m.start(), m.end()):
        years = _YEARS_AGO.get(m.group("w") or "") or parse_number(m.group("n") or "")
        if years is not None:
            facts["years_since_graduation"] = years
            facts["in_graduation_year"] = years == 0
    return facts


def _first_person_fact(p: Parsed, start: int, end: int) -> bool | None:
    """A description the speaker gives of themselves, not a condition ("高中毕业生可以…")."""
    s = p.s
    if _EDU_CONDITION_AFTER.match(s[end:]) and not (
            speaker(p, start).person == "first" and speaker(p, start).same_clause):
        return None
    return is_first_person_statement(p, start, end)


# ---------------------------------------------------------------------------- interests

_INTEREST = re.compile(
    r"(想要|想|(?<![需主只重不还])要|打算|准备|希望|计划)(去)?(学习|学学|学|报名|报|参加|考|读)"
    r"(一下|一门|一个|个|点|些)?"
    r"(?P<x>[^，。？！,?!\s]{1,20}?)"
    r"(?=(的)?(课程|课|培训班|培训|班|专业|技术|手艺|证书|证)|有没有|有什么|有啥|有哪些|有吗|哪里|哪儿|"
    r"去哪|在哪|怎么|咋|可以|能不能|能否|需要|吗|呢|啊|[，。？！,?!\s]|$)")
_INTEREST_LIKE = re.compile(r"对(?P<x>[^，。？！,?!\s]{1,12}?)(感兴趣|有兴趣|比较感兴趣)")
_VAGUE = frozenset((
    "技术", "手艺", "技能", "东西", "点东西", "什么", "啥", "一下", "知识", "本事", "本领", "课",
    "培训", "一门手艺", "门手艺", "点技术", "个技术", "这个", "那个", "哪个", "什么技术", "啥技术",
))


_NOT_A_TRADE = ("补贴", "政策", "职业技能", "培训", "等级认定", "技能提升", "多少", "什么", "哪")


def extract_interests(p: Parsed) -> str | None:
    """What the speaker wants to learn: "想学电工有什么课" → "电工"."""
    s = p.s
    found: list[str] = []
    for pattern in (_INTEREST, _INTEREST_LIKE):
        for m in pattern.finditer(s):
            if speaker(p, m.start()).person == "third":
                continue
            text = re.sub(r"^(一门|门|一些|一点|一下|下|个)", "", m.group("x")).strip("的了")
            if (text and text not in _VAGUE and not text.startswith(_NOT_A_TRADE)
                    and not re.fullmatch(_LEVEL_ALT, text)):
                found.append(text)
    return "、".join(dict.fromkeys(found)) or None


# ------------------------------------------------------------------------- certificates

_LEVEL_ALT = levels().pattern()
_HAVE = re.compile(r"((?<!没)有(?!没有|什么|啥|哪|没)|拿了|拿到了?|考了|考过|考到了?|考出了?|"
                   r"取得了?|持有|获得了?|领了)")
_CERT = re.compile(r"(?P<chunk>[^，。？！,?!\s和、跟与及]{1,14}?)(的)?"
                   r"(职业资格证书|职业资格证|职业技能等级证书|等级证书|资格证书|资格证|等级证|证书|证)(?!明)")
_CERT_BARE = re.compile(
    rf"(?P<chunk>[^，。？！,?!\s和、跟与及]{{1,10}}?(?:{_LEVEL_ALT}))(?![证的])")
_NOT_OCCUPATION = re.compile(r"^(1\+[xX]|什么|啥|任何|这个|那个|相关|毕业|结业|合格|培训合格|"
                             r"学历|驾驶|驾|身份|残疾|社保|学生|上岗|工作|资格|等级|技能|职业|"
                             r"一个|个|本)$")
_OCC_TRIM = re.compile(r"(职业资格|职业技能等级|技能等级|资格|等级|技能|职业|工种)$")
_NO_CERT = re.compile(r"(没有?|无)(任何|什么|啥)?(证书|证)(?!明)|(证书|证)(都|也)?没有|"
                      r"什么证都没有?")


def parse_certificate(chunk: str) -> dict[str, str] | None:
    """"电工四级" / "中级电工" / "电工" → {occupation, level}; a bare level → None."""
    chunk = re.sub(r"^(一个|一张|一本|个|张|本|了|一)+", "", chunk)
    level = None
    m = re.search(rf"({_LEVEL_ALT})$", chunk) or re.match(rf"({_LEVEL_ALT})", chunk)
    if m:
        level = levels().code(m.group(1))
        chunk = chunk[:m.start()] + chunk[m.end():]
    occupation = _OCC_TRIM.sub("", chunk.strip("的"))
    if not occupation or _NOT_OCCUPATION.match(occupation) or len(occupation) > 10:
        return None
    return {"occupation": occupation, "level": level} if level else {"occupation": occupation}


def extract_certificates(p: Parsed) -> list[dict[str, str]] | None:
    """Certificates the speaker holds; ``[]`` when they say they have none."""
    s, cls = p.s, p.clauses
    certs: list[dict[str, str]] = []
    said_none = False
    for clause in cls:
        text = s[clause.start:clause.end]
        none = _NO_CERT.search(text)
        have = _HAVE.search(text)
        at = clause.start + (none or have).start() if (none or have) else clause.start
        if speaker(p, at).person == "third":
            continue
        if none:
            said_none = True
            continue
        if not have or is_negated(text[:have.start()]) or _MODAL.search(text[:have.start()]):
            continue
        rest = text[have.end():]
        for part in re.split(r"和|、|跟|与|以及|还有|及", rest):
            m = _CERT.search(part) or _CERT_BARE.match(part)
            cert = parse_certificate(m.group("chunk")) if m else None
            if cert and cert not in certs:
                certs.append(cert)
    if certs:
        return certs
    return [] if said_none else None


# ------------------------------------------------------------------- subject and events

# "我们是一家…企业", "我们培训机构": the words between 我们 and the organisation may not
# hold a verb, or "我们想找个培训机构" would make the asker a training institution.
_BETWEEN = r"[^，。？！,?!想找去要问在给帮能可有没报学参让请送到]{0,8}?"
_ORG = (
    ("training_institution", rf"(我们|咱们)(是)?(一家|一个|家)?{_BETWEEN}"
                             r"(培训机构|培训学校|培训中心|培训公司|机构)|本机构|我机构"),
    ("school", rf"(我们|咱们)(是)?(一所|一家|一个)?{_BETWEEN}"
               r"(学校|技校|职校|学院|院校|中职|高职|技工学校|职业学校)|本校|我校"),
    ("enterprise", rf"(我们|咱们)(是)?(一家|一个)?{_BETWEEN}(企业|公司|厂|工厂|单位|集团|合作社)"
                   r"|我司|本公司|本企业|本单位|我公司|我厂|我单位|咱们?厂"),
)
_ORG_PATTERNS = tuple((name, re.compile(p)) for name, p in _ORG)


def extract_subject(s: str) -> str | None:
    """Who the asker speaks for, when it is an organisation; the first one named."""
    found = [(m.start(), rank, name) for rank, (name, p) in enumerate(_ORG_PATTERNS)
             for m in p.finditer(s)]
    return min(found)[2] if found else None


_EVENTS: dict[str, tuple[str, str]] = {
    # fact: (done, not done)
    "completed_online_course": (
        r"(学完|完成|上完|修完|学好|结业)(了)?[^，。？！,?!]{0,4}?(网课|线上课程|线上培训|在线课程|网上课程|"
        r"线上学习|在线学习)|(网课|线上课程|线上培训|在线课程|网上课程)(已经|都|也)?(学完|完成|上完|修完|结束|结业)",
        r"(没|还没|没有|未|尚未)(有)?(学完|完成|上完|修完)[^，。？！,?!]{0,4}?(网课|线上|在线|网上)|"
        r"(网课|线上课程|线上培训|在线课程|网上课程)(还)?(没|没有|未)(学完|完成|上完|修完|结束)",
    ),
    "has_course_certificate": (
        r"(拿到|拿了|取得|获得|领到|领了|有)(了)?[^，。？！,?!]{0,4}?(合格证明|合格证书|培训合格证|结业证书?|"
        r"结业证明|培训证书|合格证)",
        r"(没|还没|没有|未|尚未)(有)?(拿到|拿|取得|获得|领到|发)[^，。？！,?!]{0,4}?(合格证明|合格证|"
        r"结业证|培训证书)|(合格证明|合格证|结业证)(还)?(没|没有|未)(拿到|发|下来)",
    ),
    "has_labour_contract": (
        r"(签了|签过|签订了|签好了|有)(正式的?)?(劳动)?合同(?!法)",
        r"(没签|没有签|未签|没签订|没有签订|不签|不给签|没跟我签|没给签|没有)(过|订)?(正式的?)?(劳动)?合同(?!法)",
    ),
}
_EVENT_PATTERNS = {k: (re.compile(a), re.compile(b)) for k, (a, b) in _EVENTS.items()}


def extract_events(p: Parsed) -> Facts:
    """Course completion, course certificate and labour contract, when stated."""
    s = p.s
    facts: Facts = {}
    for fact, (done, not_done) in _EVENT_PATTERNS.items():
        for value, pattern in ((False, not_done), (True, done)):
            m = pattern.search(s)
            if m and _event_is_own(p, m):
                facts[fact] = value
                break
    return facts


def _event_is_own(p: Parsed, m: re.Match[str]) -> bool:
    """Not someone else's, not a category ("没签劳动合同的能领吗")."""
    s, cls = p.s, p.clauses
    if speaker(p, m.start()).person == "third":
        return False
    if m.group().startswith("没") and s[max(0, m.start() - 1):m.start()] == "有":
        return False  # "有没有签合同" asks, it does not state
    clause = clause_at(cls, m.start())
    if _HYPOTHETICAL.search(s, clause.start, clause.end):
        return False
    return not _GENERIC_AFTER.match(s[m.end():clause.end])


# ------------------------------------------------------------------------------ public


def extract_facts(text: str) -> Facts:
    """The profile facts stated in ``text``; only keys that were found."""
    p = parse(text)
    facts: Facts = {}
    subject = extract_subject(p.s)
    facts.update(extract_groups(p, org=subject is not None))
    facts.update(extract_regions(p.s))
    optional: dict[str, Any] = {
        "age": extract_age(p),
        "education": extract_education(p),
        "interests_text": extract_interests(p),
        "certificates": extract_certificates(p),
        "subject": subject,
    }
    facts.update({k: v for k, v in optional.items() if v is not None})
    facts.update(extract_schooling(p))
    facts.update(extract_events(p))
    return facts


_REGION_KEYS = ("province", "city", "county")
_NUMERAL = r"\d一二两三四五六七八九十"
_NOT_AN_AGE_UNIT = r"年月号日万元%％个天级人名块度点"
_BARE_NUMBER = re.compile(rf"(?<![{_NUMERAL}])(?P<n>{_NUM})(?![{_NUMERAL}{_NOT_AN_AGE_UNIT}])")
_CORRECTION_OLD = re.compile(rf"不是(?P<n>{_NUM})")


def apply_correction(facts: Facts, text: str) -> Facts:
    """``facts`` updated by a worker's correction ("不对，我在九江", "我说错了，我28岁").

    What the new text states replaces the old value: a new place replaces the whole
    place (county included), a new group removes the groups it cannot coexist with,
    a denied group is removed. Certificates merge by occupation. ``facts`` is not
    modified.
    """
    new = extract_facts(text)
    out = copy.deepcopy(facts)
    if "age" not in new and "age" in out:
        age = _corrected_age(normal_form(text))
        if age is not None:
            new["age"] = age
    if any(k in out for k in _REGION_KEYS) and names_place_only(normal_form(text)):
        for key in _REGION_KEYS:  # the place asked about does not move the asker
            new.pop(key, None)
    if any(k in new for k in _REGION_KEYS):
        for key in _REGION_KEYS:
            out.pop(key, None)
    _merge_groups(out, new)
    if "certificates" in new:
        out["certificates"] = _merge_certificates(out.get("certificates", []), new["certificates"])
    for key, value in new.items():
        if key not in ("groups", "not_groups", "certificates"):
            out[key] = value
    return out


def _corrected_age(s: str) -> int | None:
    """"不是25，是28" / "说错了，28" → 28: a bare number after a correction is the age."""
    old = _CORRECTION_OLD.search(s)
    numbers = [parse_number(m.group("n")) for m in _BARE_NUMBER.finditer(s)
               if not (old and m.start() == old.start("n"))]
    ages = [n for n in numbers if n is not None and 14 <= n <= 80]
    return ages[-1] if ages else None


def _merge_groups(out: Facts, new: Facts) -> None:
    groups = [g for g in out.get("groups", []) if g not in new.get("not_groups", [])]
    for group in new.get("groups", []):
        _push(groups, group, exclusive=group_vocabulary().exclusive)
    not_groups = [g for g in dict.fromkeys(out.get("not_groups", []) + new.get("not_groups", []))
                  if g not in groups]
    for key, value in (("groups", groups), ("not_groups", not_groups)):
        if value:
            out[key] = value
        else:
            out.pop(key, None)


def _merge_certificates(old: list[dict[str, str]], new: list[dict[str, str]]
                        ) -> list[dict[str, str]]:
    if not new:
        return []
    kept = [c for c in old if c.get("occupation") not in {n.get("occupation") for n in new}]
    return kept + new
