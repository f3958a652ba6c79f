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

MAX_QUESTION = 2000
Question = Annotated[Text, Field(max_length=MAX_QUESTION)]
FactName = Annotated[Line, Field(max_length=120)]
Profile = FreeForm  # walked to the leaves: storable text, finite numbers


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    code: str = Field(description="机器可读的错误代码")
    message: str = Field(description="给用户看的中文说明")
    detail: Any = Field(None, description="出错的字段或更多信息")


# -- search and ask ----------------------------------------------------------------------
class SearchResultOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float


class SearchOut(BaseModel):
    query: str
    results: list[SearchResultOut]


class AskIn(Strict):
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


class MissingFactOut(BaseModel):
    key: str = Field(description="事实名称（facts.yaml），机器使用")
    label: str = Field(description="中文名称，如“户籍所在省”")
    question: str = Field(description="向劳动者提问的中文问题")


def _described(value: Any) -> Any:
    """The assistant's fact names, described for the client (``api.missing_facts``)."""
    from api.missing_facts import describe  # the rule book loads only when answering

    return describe(value)


class AnswerOut(BaseModel):
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
    profile: Profile | None = Field(None, description="已知的劳动者信息（可选）")
    channel: Literal["web", "wechat", "api"] = "web"


class SessionOut(BaseModel):
    session_id: str
    token: str = Field(description="会话凭证，后续请求放在 Authorization: Bearer 中")
    expires_in: int


class MessageIn(Strict):
    text: Text = Field(max_length=MAX_QUESTION, description="劳动者说的话")


class ReplyOut(AnswerOut):
    turn_id: int = Field(description="这条回答的编号，反馈时使用")
    quick_replies: list[str] = Field([], description="追问的快捷回复选项")


class SessionProfileOut(BaseModel):
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
    turn_id: RowId = Field(description="被评价的回答编号")
    rating: Literal["up", "down"]
    reason: Text | None = Field(None, max_length=500, description="原因（可选）")


class FeedbackOut(BaseModel):
    id: int
    turn_id: int
    rating: Literal["up", "down"]


# -- accounts ----------------------------------------------------------------------------
class LoginIn(Strict):
    username: Line = Field(min_length=1, max_length=64)
    password: Line = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    role: str
    expires_in: int


# -- counselor ---------------------------------------------------------------------------
class EligibilityIn(Strict):
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
    as_of: str
    place: str | None = Field(None, description="劳动者所在地")
    summary: EligibilitySummaryOut | None = Field(None, description="只检查一条规则时为空")
    results: list[EligibilityItemOut]


class MatchIn(Strict):
    profile: Profile = Field(default_factory=dict, description="劳动者画像")
    k: int = Field(10, ge=1, le=50)
    weights: FreeForm | None = Field(None, description="调整各因素权重")
    why_not: Line | None = Field(None, max_length=120, description="说明这个项目为什么没排上")
    as_of: dt.date | None = None


class GuideIn(Strict):
    profile: Profile = Field(default_factory=dict)
    k: int = Field(5, ge=1, le=50)
    skip: list[FactName] = Field(default_factory=list, max_length=20, description=(
        "已问过但劳动者答不上来的问题（字段名），不再问"))
    as_of: dt.date | None = None


class ProgramsOut(BaseModel):
    total: int
    programs: list[dict[str, Any]]


class OccupationOut(BaseModel):
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
    region: str
    occupations: list[ShortageItem]


# -- admin -------------------------------------------------------------------------------
class JobOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    result: Any = None
    error: Any = None
    created_at: str
    updated_at: str


class JobAccepted(BaseModel):
    job_id: str


class RemovedOut(BaseModel):
    removed: str
    index_build: str


# -- cases and the hand-out --------------------------------------------------------------
CaseOutcome = Literal["未定", "已推荐", "已报名", "放弃", "已就业"]
ProgramId = Annotated[Line, Field(min_length=1, max_length=120)]
MAX_NOTES = 5000


class CaseIn(Strict):
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

    profile: Profile | None = None
    notes: Text | None = Field(None, max_length=MAX_NOTES)
    follow_up: dt.date | None = None
    outcome: CaseOutcome | None = None
    program_ids: list[ProgramId] | None = Field(None, max_length=200)


class HandoverIn(Strict):
    session_id: Line = Field(min_length=1, max_length=32, description="对话会话编号")
    notes: Text = Field("", max_length=MAX_NOTES)
    follow_up: dt.date | None = None


class CaseOut(BaseModel):
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
    total: int
    cases: list[CaseOut]


class HandoutIn(Strict):
    """Programs by id only: everything printed about them is read from the catalog."""

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

    k: int = Field(10, ge=1, le=50)
    why_not: Line | None = Field(None, max_length=120, description="说明这个项目为什么没排上")
    as_of: dt.date | None = None


class SessionGuideIn(Strict):
    """Guided matching on the session's profile (no ``profile`` in the body)."""

    k: int = Field(5, ge=1, le=50)
    skip: list[FactName] = Field(default_factory=list, max_length=20, description=(
        "已问过但劳动者答不上来的问题（字段名），不再问"))
    as_of: dt.date | None = None


class HistoryPageOut(HistoryOut):
    """One page of a history, oldest first; ``next_cursor`` is passed back as ``after``
    for the next page and is null on the last one."""

    next_cursor: str | None = Field(None, description="下一页的游标（没有更多时为空）")
