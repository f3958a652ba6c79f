"""Request and response bodies of ``/v1``, kept apart from the database models.

Sizes are bounded here so an oversized field is refused (422 with its path) before any
work is done; the engine checks meaning (regions, dates, profile fields) and answers with
its own Chinese errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.fields import FreeForm, Line, RowId, Text
from api.profile_schema import Profile, WorkerProfile  # noqa: F401  (one profile schema)

MAX_QUESTION = 2000
Question = Annotated[Text, Field(max_length=MAX_QUESTION)]
FactName = Annotated[Line, Field(max_length=120)]


def examples(*values: dict[str, Any]) -> ConfigDict:
    """A model's examples, shown in /docs and used by schemathesis's example phase."""
    return ConfigDict(json_schema_extra={"examples": list(values)})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every error: a code to switch on, a Chinese message to show, and details."""

    model_config = examples({"code": "invalid_request", "message": "请求参数有误。",
                             "detail": [{"field": "body.k", "reason": "不能大于 50"}]})

    code: str = Field(description="机器可读的错误代码（见说明中的错误代码表）")
    message: str = Field(description="给用户看的中文说明")
    detail: Any = Field(None, description="出错的字段或更多信息；422 时为 [{field, reason}]")


# -- search and ask ----------------------------------------------------------------------
class SearchResultOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    source_kind: str = Field("unknown", description="来源：official 官方发布、reprint 转载、"
                                                    "news 新闻报道、unknown 未注明")
    source_note: str | None = Field(None, description="关于来源的提示（转载、报道时给出），"
                                                      "须与引文一起展示")


class SearchOut(BaseModel):
    model_config = examples(
        {
            "query": "退役军人能参加补贴培训吗",
            "results": [
                {
                    "chunk_id": "jx-2024-subsidy#12",
                    "doc_id": "jx-2024-subsidy",
                    "title": "江西省职业技能培训补贴办法",
                    "section": "第二章 补贴对象",
                    "text": "退役军人参加职业技能培训的，按规定给予补贴。",
                    "score": 0.83,
                }
            ],
        }
    )

    query: str
    results: list[SearchResultOut]


class AskIn(Strict):
    model_config = examples(
        {
            "question": "我当过兵，能参加补贴培训吗？",
            "region": "赣州市",
            "profile": {"groups": ["退役军人"]},
        }
    )

    question: Text = Field(max_length=MAX_QUESTION, description="问题")
    context: list[Question] = Field(default_factory=list, max_length=10,
                               description="之前的提问（最多 10 条）")
    profile: Profile | None = Field(None, description="劳动者画像")
    region: Line | None = Field(None, max_length=60, description="所在地区，如“赣州市”")
    as_of: dt.date | None = Field(None, description="按哪一天的政策回答")


class CitationOut(BaseModel):
    chunk_id: str | None
    doc_id: str
    title: str
    section: str
    quote: str
    section_short: str = Field("", description="章节的最后两级，用于引用卡片")
    note: str = Field("", description="关于来源的提示，须与引文一起展示，如非官方转载："
                                      "「转载文本，以人社部发布的原文为准」")


class MissingFactOut(BaseModel):
    key: str = Field(description="事实名称（facts.yaml），机器使用")
    label: str = Field(description="中文名称，如“户籍所在省”")
    question: str = Field(description="向劳动者提问的中文问题")


def _described(value: Any) -> Any:
    """The assistant's fact names, described for the client (``api.missing_facts``)."""
    from api.missing_facts import describe  # the rule book loads only when answering

    return describe(value)


class AnswerOut(BaseModel):
    model_config = examples(
        {
            "answer": "可以。退役军人参加职业技能培训，按规定享受培训补贴。",
            "verdict": "yes",
            "abstained": False,
            "citations": [
                {
                    "chunk_id": "jx-2024-subsidy#12",
                    "doc_id": "jx-2024-subsidy",
                    "title": "江西省职业技能培训补贴办法",
                    "section": "第二章 补贴对象",
                    "quote": "退役军人参加职业技能培训的，按规定给予补贴。",
                    "section_short": "第二章",
                }
            ],
            "missing_facts": [
                {"key": "hukou_province", "label": "户籍所在省", "question": "您的户口在哪个省？"}
            ],
            "follow_up": "您的户口在哪个省？",
            "expired": False,
        }
    )

    answer: str = Field(description="回答正文")
    verdict: str | None = None
    abstained: bool = False
    citations: list[CitationOut] = []
    rule_trace: list[dict[str, Any]] = []
    missing_facts: Annotated[list[MissingFactOut], BeforeValidator(_described)] = Field(
        [], description="回答还缺的信息：键、中文名称和向劳动者提的问题")
    follow_up: str | None = None
    script: str = "zh-Hans"
    intent: str | None = None
    facts: dict[str, Any] = {}
    expired: bool = Field(False, description="所依据的文件已过有效期")


# -- chat and feedback -------------------------------------------------------------------
class SessionIn(Strict):
    model_config = examples(
        {"profile": {"city": "赣州市", "groups": ["退役军人"]}, "channel": "wechat"})

    profile: Profile | None = Field(None, description="已知的劳动者信息（可选）")
    channel: Literal["web", "wechat", "api"] = "web"


class SessionOut(BaseModel):
    model_config = examples(
        {
            "session_id": "9f1c2d3e4a5b6c7d",
            "token": "s.9f1c2d3e4a5b6c7d.1790000000.1790086400.abc",
            "expires_in": 86400,
        }
    )

    session_id: str
    token: str = Field(description="会话凭证，后续请求放在 Authorization: Bearer 中")
    expires_in: int


class MessageIn(Strict):
    model_config = examples({"text": "我在赣州，当过兵，想学电工"})

    text: Text = Field(max_length=MAX_QUESTION, description="劳动者说的话")


class ReplyOut(AnswerOut):
    model_config = examples(
        {
            "answer": "可以参加。……",
            "turn_id": 2,
            "quick_replies": ["是", "不是"],
            "citations": [],
            "missing_facts": [],
        }
    )

    turn_id: int = Field(description="这条回答的编号，反馈时使用")
    quick_replies: list[str] = Field([], description="追问的快捷回复选项")


class SessionProfileOut(BaseModel):
    model_config = examples(
        {"session_id": "9f1c2d3e4a5b6c7d", "profile": {"city": "赣州市", "groups": ["退役军人"]}}
    )

    session_id: str
    profile: dict[str, Any] = Field(description="对话中了解到的劳动者信息")


class TurnOut(BaseModel):
    id: int
    role: str
    text: str
    answer: dict[str, Any] | None
    created_at: str


class HistoryOut(BaseModel):
    session_id: str
    turns: list[TurnOut]


class FeedbackIn(Strict):
    model_config = examples({"turn_id": 2, "rating": "down", "reason": "没有回答我的问题"})

    turn_id: RowId = Field(description="被评价的回答编号")
    rating: Literal["up", "down"]
    reason: Text | None = Field(None, max_length=500, description="原因（可选）")


class FeedbackOut(BaseModel):
    model_config = examples({"id": 1, "turn_id": 2, "rating": "down"})

    id: int
    turn_id: int
    rating: Literal["up", "down"]


# -- accounts ----------------------------------------------------------------------------
class LoginIn(Strict):
    model_config = examples({"username": "guwen", "password": "counsel-secret-1"})

    username: Line = Field(min_length=1, max_length=64)
    password: Line = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    model_config = examples(
        {
            "token": "u.3-counselor-1.1790000000.1790028800.abc",
            "token_type": "bearer",
            "role": "counselor",
            "expires_in": 28800,
        }
    )

    token: str
    token_type: Literal["bearer"] = "bearer"
    role: str
    expires_in: int


# -- counselor ---------------------------------------------------------------------------
class EligibilityIn(Strict):
    model_config = examples({"profile": {"city": "赣州市", "age": 40, "groups": ["退役军人"]}})

    profile: Profile = Field(description="劳动者画像")
    rule_id: Line | None = Field(None, max_length=120, description="只检查这一条规则")
    as_of: dt.date | None = None


class EligibilityQuestionOut(BaseModel):
    fact: str = Field(description="事实名称（facts.yaml）")
    label: str
    question: str = Field(description="向劳动者提问的中文问题")


class EligibilityItemOut(BaseModel):
    """One rule on the panel; trace, outcome and the rest of the evaluation ride along."""

    model_config = ConfigDict(extra="allow")

    rule_id: str
    title: str
    region: str = Field(description="规则的适用地区")
    scope: Literal["national", "local", "unplaced", "elsewhere"]
    status: Literal["applies", "undetermined", "not_eligible", "not_applicable", "expired",
                    "not_yet_effective"]
    label: str = Field(description="符合／待确认／不符合／不适用／已失效／尚未生效")
    reason: str
    verdict: Literal["yes", "no", "conditional"] | None
    questions: list[EligibilityQuestionOut]
    missing_facts: list[str]
    failed: list[dict[str, Any]] = Field(description="不符合的事实和条件")
    citations: list[dict[str, Any]]


class EligibilitySummaryOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    shown: int
    by_status: dict[str, int]
    other_places: int = Field(description="其他地区的规定条数（未列出）")
    other_places_by_region: dict[str, int]
    other_subjects: int = Field(description="面向企业、院校等其他主体的规定条数（未列出）")
    ask_next: list[dict[str, Any]] = Field(description="能确定最多规则的问题，按规则数排序")
    note: str | None


class EligibilityOut(BaseModel):
    model_config = examples(
        {"as_of": "2026-11-27", "place": "赣州市", "summary": None, "results": []})

    as_of: str
    place: str | None = Field(None, description="劳动者所在地")
    summary: EligibilitySummaryOut | None = Field(None, description="只检查一条规则时为空")
    results: list[EligibilityItemOut]


class MatchIn(Strict):
    model_config = examples(
        {
            "profile": {
                "city": "赣州市",
                "age": 40,
                "groups": ["退役军人"],
                "interests_text": "想学电工",
            },
            "k": 5,
        }
    )

    profile: Profile = Field(default_factory=dict, description="劳动者画像")
    k: int = Field(10, ge=1, le=50)
    weights: FreeForm | None = Field(None, description="调整各因素权重")
    why_not: Line | None = Field(None, max_length=120, description="说明这个项目为什么没排上")
    as_of: dt.date | None = None


class GuideIn(Strict):
    model_config = examples(
        {"profile": {"city": "赣州市", "interests_text": "想学电工"}, "k": 5, "skip": ["age"]}
    )

    profile: Profile = Field(default_factory=dict)
    k: int = Field(5, ge=1, le=50)
    skip: list[FactName] = Field(default_factory=list, max_length=20, description=(
        "已问过但劳动者答不上来的问题（字段名），不再问"))
    as_of: dt.date | None = None


class ProgramsOut(BaseModel):
    """One page of the catalog by ``program_id``; pass ``next_cursor`` back as ``after``
    (absent on the last page, so an empty result stays ``{total: 0, programs: []}``)."""

    model_config = examples(
        {
            "total": 1,
            "programs": [
                {
                    "program_id": "E4",
                    "title": "电工（四级/中级工）培训",
                    "occupation": "电工",
                    "provider": "赣州市职业技能培训学校",
                    "province": "江西省",
                    "mode": "线下",
                }
            ],
            "next_cursor": None,
        }
    )

    total: int = Field(description="符合条件的项目总数")
    programs: list[ProgramOut]
    next_cursor: str | None = Field(None, exclude_if=lambda v: v is None,
                                    description="下一页的游标（最后一页没有这个字段）")


class OccupationOut(BaseModel):
    model_config = examples({"code": "6-31-01-03", "name": "电工", "score": 0.92, "via": "name"})

    code: str
    name: str
    score: float
    via: str


class ShortageItem(BaseModel):
    occupation: str
    occupation_code: str
    region: str = Field(description="目录所属地区（本地优先，其次省、全国）")
    period: str
    rank: int | None
    reason: str


class ShortageOut(BaseModel):
    model_config = examples(
        {
            "region": "赣州市",
            "occupations": [
                {
                    "occupation": "电工",
                    "occupation_code": "6-31-01-03",
                    "region": "江西省",
                    "period": "2026",
                    "rank": 3,
                    "reason": "江西省紧缺职业（2026）",
                }
            ],
        }
    )

    region: str
    occupations: list[ShortageItem]


# -- admin -------------------------------------------------------------------------------
class JobOut(BaseModel):
    model_config = examples(
        {
            "id": "5b0e3c1f",
            "kind": "ingest",
            "status": "running",
            "progress": 0.4,
            "result": None,
            "error": None,
            "created_at": "2026-11-27T08:00:00",
            "updated_at": "2026-11-27T08:00:05",
        }
    )

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    result: Any = None
    error: Any = None
    created_at: str
    updated_at: str


class JobAccepted(BaseModel):
    model_config = examples({"job_id": "5b0e3c1f"})

    job_id: str


class RemovedOut(BaseModel):
    model_config = examples({"removed": "jx-2024-subsidy", "index_build": "20261127-080000"})

    removed: str
    index_build: str


# -- cases and the hand-out --------------------------------------------------------------
CaseOutcome = Literal["未定", "已推荐", "已报名", "放弃", "已就业"]
ProgramId = Annotated[Line, Field(min_length=1, max_length=120)]
MAX_NOTES = 5000


class CaseIn(Strict):
    model_config = examples(
        {
            "profile": {"city": "赣州市", "groups": ["退役军人"]},
            "notes": "想学电工，周末有空",
            "follow_up": "2026-12-05",
            "outcome": "已推荐",
            "program_ids": ["E4"],
        }
    )

    profile: Profile = Field(default_factory=dict,
                             description="劳动者画像（姓名、证件号、电话不保存）")
    worker_ref: Line | None = Field(None, max_length=40,
                                   description="劳动者编号（可选，默认自动生成，如 C-2026-000123）")
    notes: Text = Field("", max_length=MAX_NOTES, description="指导员备注")
    follow_up: dt.date | None = Field(None, description="下次跟进日期")
    outcome: CaseOutcome = "未定"
    program_ids: list[ProgramId] = Field(default_factory=list, max_length=200,
                                         description="候选项目编号（最多 20 个）")


class CaseUpdate(Strict):
    """Only the fields sent are changed; ``follow_up: null`` clears the date."""

    model_config = examples({"outcome": "已报名", "follow_up": None})

    profile: Profile | None = None
    notes: Text | None = Field(None, max_length=MAX_NOTES)
    follow_up: dt.date | None = None
    outcome: CaseOutcome | None = None
    program_ids: list[ProgramId] | None = Field(None, max_length=200)


class HandoverIn(Strict):
    model_config = examples({"session_id": "9f1c2d3e4a5b6c7d", "notes": "从对话转来"})

    session_id: Line = Field(min_length=1, max_length=32, description="对话会话编号")
    notes: Text = Field("", max_length=MAX_NOTES)
    follow_up: dt.date | None = None


class CaseOut(BaseModel):
    model_config = examples(
        {
            "id": 1,
            "worker_ref": "C-2026-000001",
            "profile": {"city": "赣州市"},
            "notes": "",
            "follow_up": None,
            "outcome": "未定",
            "program_ids": ["E4"],
            "counselor": "guwen",
            "chat_session_id": None,
            "created_at": "2026-11-27T08:00:00",
            "updated_at": "2026-11-27T08:00:00",
        }
    )

    id: int
    worker_ref: str
    profile: dict[str, Any]
    notes: str
    follow_up: str | None
    outcome: CaseOutcome
    program_ids: list[str]
    counselor: str = Field(description="负责的就业指导员（用户名）")
    chat_session_id: str | None
    created_at: str
    updated_at: str


class CasesOut(BaseModel):
    model_config = examples({"total": 1, "cases": [], "next_cursor": None})

    total: int = Field(description="可见的个案总数")
    cases: list[CaseOut]
    next_cursor: str | None = Field(None, description="下一页的游标（没有更多时为空）")


class HandoutIn(Strict):
    """Programs by id only: everything printed about them is read from the catalog."""

    model_config = examples({"case_id": 1, "note": "请带身份证原件报名"})

    profile: Profile | None = Field(None, description="劳动者画像（与 case_id 二选一）")
    case_id: RowId | None = Field(None, description="个案编号（与 profile 二选一）")
    program_ids: list[ProgramId] | None = Field(
        None, max_length=200,
        description="选中的项目编号（1–20 个）；用个案时可省略，取个案的候选清单")
    worker_ref: Line | None = Field(None, max_length=40, description="劳动者编号（仅用画像时）")
    note: Text = Field("", max_length=2000, description="写给劳动者的说明")
    weights: FreeForm | None = Field(None, description="调整各因素权重")
    as_of: dt.date | None = None


# -- the mini-program's own calls --------------------------------------------------------
class SessionMatchIn(Strict):
    """Matching for the worker of a session: the profile is what the chat learnt, never
    sent by the client (``profile`` in the body is refused)."""

    model_config = examples({"k": 5})

    k: int = Field(10, ge=1, le=50)
    why_not: Line | None = Field(None, max_length=120, description="说明这个项目为什么没排上")
    as_of: dt.date | None = None


class SessionGuideIn(Strict):
    """Guided matching on the session's profile (no ``profile`` in the body)."""

    model_config = examples({"k": 5, "skip": []})

    k: int = Field(5, ge=1, le=50)
    skip: list[FactName] = Field(default_factory=list, max_length=20, description=(
        "已问过但劳动者答不上来的问题（字段名），不再问"))
    as_of: dt.date | None = None


class HistoryPageOut(HistoryOut):
    """One page of a history, oldest first; ``next_cursor`` is passed back as ``after``
    for the next page and is null on the last one."""

    model_config = examples(
        {
            "session_id": "9f1c2d3e4a5b6c7d",
            "turns": [
                {
                    "id": 1,
                    "role": "user",
                    "text": "我当过兵",
                    "answer": None,
                    "created_at": "2026-11-27T08:00:00",
                }
            ],
            "next_cursor": "1",
        }
    )

    next_cursor: str | None = Field(None, description="下一页的游标（没有更多时为空）")


# -- typed answers of matching, the catalog, the library and operations ------------------
class Open(BaseModel):
    """An answer object that may gain fields: clients must ignore ones they do not know."""

    model_config = ConfigDict(extra="allow")


class SubsidyOut(Open):
    status: str = Field(description="补贴判断：subsidised／conditional／…")
    place: str | None = None
    out_of_pocket_yuan: float | None = Field(None, description="预计自付（元）")
    if_granted_yuan: float | None = Field(None, description="获批后可得补贴（元）")
    rule_id: str | None = None
    reason: str = Field(description="中文说明")
    questions: list[Any] = []


class MatchResultOut(Open):
    program_id: str
    title: str
    occupation: str
    occupation_code: str | None
    level: str | None
    provider: str
    province: str
    city: str | None
    county: str | None
    mode: str
    hours: int | None
    fee_yuan: float | None
    start_date: str | None = Field(description="开班日期（YYYY-MM-DD）")
    brand_level: str | None
    is_sample: bool = Field(description="示例数据（非真实项目）")
    score: float
    factors: dict[str, float] = Field(description="各因素得分")
    enterable: str = Field(description="能否直接报名：yes／confirm／no")
    enterable_reason: str | None
    locality: str = Field(description="local（本地）／province（本省）／elsewhere（外地）")
    subsidy: SubsidyOut | None
    reasons: list[str] = Field(description="推荐理由（中文，最重要的在前）")


class MatchOut(Open):
    """Ranked programs with reasons."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "results": [{"program_id": "E4", "title": "电工（四级/中级工）培训", "occupation": "电工",
                     "occupation_code": "6-31-01-03", "level": "四级",
                     "provider": "赣州市职业技能培训学校", "province": "江西省", "city": "赣州市",
                     "county": None, "mode": "线下", "hours": 200, "fee_yuan": 1500.0,
                     "start_date": "2027-03-01", "brand_level": None, "is_sample": False,
                     "score": 0.8123, "factors": {"fit": 0.9}, "enterable": "yes",
                     "enterable_reason": None, "locality": "local", "subsidy": None,
                     "reasons": ["符合您想学的方向：电工"]}],
        "notice": None, "alternatives": [], "assumptions": ["未说明能去多远，按本市及线上项目计"],
        "weights": {"fit": 0.35}, "eligible": 120, "catalog": 200}]})

    results: list[MatchResultOut]
    notice: str | None = Field(description="附近没有合适项目时的说明")
    alternatives: list[dict[str, Any]] = Field(description="附近没有时的其他选择")
    assumptions: list[str] = Field(description="画像缺信息时按什么处理（中文）")
    weights: dict[str, float] = Field(description="实际使用的各因素权重")
    eligible: int = Field(description="符合条件的项目数")
    catalog: int = Field(description="目录中的项目总数")


class WhyNotOut(Open):
    """Why one program (``why_not``) is not ranked higher."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "program_id": "YOUNG", "title": "电工青年班", "excluded": True,
        "rules": [{"rule": "age", "reason": "年龄超出 16–25 岁"}], "enterable": "no",
        "enterable_reason": "年龄不符", "assumptions": []}]})

    program_id: str
    title: str
    excluded: bool = Field(description="是否被条件排除")
    rules: list[Any] = Field(description="排除它的条件")
    enterable: str
    enterable_reason: str | None
    assumptions: list[str]
    # Only present when they apply (as before these models existed): absent, never null.
    rank: int | None = Field(None, exclude_if=lambda v: v is None,
                             description="未被排除时的名次")
    result: MatchResultOut | None = Field(None, exclude_if=lambda v: v is None,
                                          description="未被排除时，它的匹配结果")
    behind: list[str] | None = Field(None, exclude_if=lambda v: v is None,
                                     description="排在第 k 名之后时，落后的因素")


class GuideChoiceOut(Open):
    label: str
    value: Any


class GuideQuestionOut(Open):
    field: str = Field(description="画像字段名，回答后写入画像的这个字段")
    question: str = Field(description="向劳动者提的中文问题")
    options: list[str]
    choices: list[GuideChoiceOut] = Field(description="选项及写入画像的取值")
    expected_change: float = Field(description="回答后前几名预计变化的比例（0–1）")


class GuideOut(Open):
    """The next question that would most change the ranking."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "top": ["E4", "W5"], "stable": False,
        "next_question": {"field": "travel", "question": "最远能去哪里参加培训？",
                          "options": ["本县（区）", "本市"],
                          "choices": [{"label": "本市", "value": "same_city"}],
                          "expected_change": 0.4},
        "candidates": [], "message": None}]})

    top: list[str] = Field(description="当前前几名的项目编号")
    stable: bool = Field(description="再问也不会改变前几名")
    next_question: GuideQuestionOut | None
    candidates: list[GuideQuestionOut]
    message: str | None


class ProgramOut(Open):
    """One catalog program (every column of the catalog; unknown columns in ``extra``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "program_id": "E4", "title": "电工（四级/中级工）培训", "occupation": "电工",
        "provider": "赣州市职业技能培训学校", "province": "江西省", "mode": "线下",
        "target_groups": [], "extra": {}, "is_sample": False,
        "updated_at": "2026-11-01T08:00:00"}]})

    program_id: str
    title: str
    occupation: str
    occupation_code: str | None = None
    level: str | None = None
    certificate: str | None = None
    provider: str
    provider_type: str | None = None
    province: str
    city: str | None = None
    county: str | None = None
    mode: str
    hours: int | None = None
    days: int | None = None
    fee_yuan: float | None = None
    subsidized: bool | None = None
    target_groups: list[Any] = []
    industry: str | None = None
    brand_level: str | None = None
    trained_last_year: int | None = None
    pass_rate: float | None = None
    employment_rate: float | None = None
    key_group_trained: int | None = None
    order_based_ratio: float | None = None
    start_date: str | None = None
    end_date: str | None = None
    schedule: str | None = None
    capacity: int | None = None
    enrolled: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    prerequisite: str | None = None
    description: str | None = None
    contact: str | None = None
    extra: dict[str, Any] | None = None
    is_sample: bool = False
    source: str | None = None
    updated_at: str | None = None


class DocumentOut(Open):
    """One policy document in the library."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "jx-2024-subsidy", "title": "江西省职业技能培训补贴办法",
        "doc_number": "赣人社字〔2024〕1号",
        "issuer": "江西省人力资源和社会保障厅", "region": "江西省", "published": "2024-01-15",
        "effective_from": "2024-02-01", "effective_to": None, "doc_type": "policy",
        "source": None, "filename": "jx-2024-subsidy.txt", "chunks": 42,
        "dropped_by_cleaning": 0}]})

    id: str
    title: str
    doc_number: str | None = None
    issuer: str | None = None
    region: str | None = None
    published: str | None = None
    effective_from: str | None = None
    effective_to: str | None = None
    doc_type: str | None = None
    source: str | None = None
    filename: str | None = None
    chunks: int = Field(description="检索片段数")
    dropped_by_cleaning: int = Field(0, description="清理时去掉的段落数")


class VocabularyGroupOut(BaseModel):
    code: str
    label: str
    short: str
    offered: bool = Field(description="是否作为一键选项提供")


class CodeNameOut(BaseModel):
    code: str
    name: str


class CodeLabelOut(BaseModel):
    code: str
    label: str


class VocabularyOut(BaseModel):
    """The profile's controlled values (the same lists as ``WorkerProfile``'s enums)."""

    model_config = examples({
        "groups": [{"code": "退役军人", "label": "退役军人", "short": "退役军人", "offered": True}],
        "levels": [{"code": "四级", "name": "四级/中级工"}],
        "physical_limits": [{"code": "heights", "label": "不能登高"}],
        "modes": ["线下", "线上", "线上线下结合"],
        "travel": [{"code": "same_city", "label": "本市"}]})

    groups: list[VocabularyGroupOut]
    levels: list[CodeNameOut]
    physical_limits: list[CodeLabelOut]
    modes: list[str]
    travel: list[CodeLabelOut]


class HealthOut(BaseModel):
    model_config = examples({"status": "ok"})

    status: Literal["ok"]


class ReadyOut(BaseModel):
    model_config = examples({"status": "ready"})

    status: Literal["ready"]
    wechat_sandbox: bool | None = Field(None, description="微信登录处于沙箱模式（仅测试环境）")


class ImportReportOut(Open):
    """What a catalog import did."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "file": "catalog.csv", "rows": 25, "imported": 25, "created": 25, "updated": 0,
        "skipped": 0, "errors": []}]})

    file: str
    rows: int = Field(description="读到的数据行")
    imported: int
    created: int
    updated: int
    skipped: int = Field(description="跳过的错误行（仅 skip_bad_rows）")
    errors: list[dict[str, Any]] = Field(description="错误行：行号、列和中文原因")


class CatalogImportIn(BaseModel):
    """``multipart/form-data``: one catalog file (CSV or XLSX)."""

    file: bytes = Field(json_schema_extra={"format": "binary"},
                        description="目录文件（CSV 或 XLSX）")
    skip_bad_rows: bool = Field(False, description="跳过错误行，导入其余行")
    background: bool = Field(False, description="作为后台任务运行（返回 202 和 job_id）")


class DocumentsUploadIn(BaseModel):
    """``multipart/form-data``: policy files, each optionally with a ``.meta.yaml`` sidecar."""

    files: list[bytes] = Field(json_schema_extra={"items": {"type": "string", "format": "binary"}},
                               description="政策文件（txt、md、docx、pdf）")


ProgramsOut.model_rebuild()  # its items are declared further down
