"""Request and response bodies of ``/v1``, kept apart from the database models.

Sizes are bounded here so an oversized field is refused (422 with its path) before any
work is done; the engine checks meaning (regions, dates, profile fields) and answers with
its own Chinese errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_QUESTION = 2000
Profile = dict[str, Any]


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
    question: str = Field(max_length=MAX_QUESTION, description="问题")
    context: list[str] = Field(default_factory=list, max_length=10,
                               description="之前的提问（最多 10 条）")
    profile: Profile | None = Field(None, description="劳动者画像")
    region: str | None = Field(None, max_length=60, description="所在地区，如“赣州市”")
    as_of: dt.date | None = Field(None, description="按哪一天的政策回答")


class CitationOut(BaseModel):
    chunk_id: str | None
    doc_id: str
    title: str
    section: str
    quote: str
    section_short: str = Field("", description="章节的最后两级，用于引用卡片")


class AnswerOut(BaseModel):
    answer: str = Field(description="回答正文")
    verdict: str | None = None
    abstained: bool = False
    citations: list[CitationOut] = []
    rule_trace: list[dict[str, Any]] = []
    missing_facts: list[str] = []
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
    text: str = Field(max_length=MAX_QUESTION, description="劳动者说的话")


class ReplyOut(AnswerOut):
    turn_id: int = Field(description="这条回答的编号，反馈时使用")
    quick_replies: list[str] = Field([], description="追问的快捷回复选项")


class SessionProfileOut(BaseModel):
    session_id: str
    profile: dict[str, Any] = Field(description="对话中了解到的劳动者信息")


class ShortlistIn(Strict):
    programs: list[dict[str, Any]] = Field(min_length=1, max_length=50,
                                           description="匹配结果中选中的项目")


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
    turn_id: int = Field(ge=1, description="被评价的回答编号")
    rating: Literal["up", "down"]
    reason: str | None = Field(None, max_length=500, description="原因（可选）")


class FeedbackOut(BaseModel):
    id: int
    turn_id: int
    rating: Literal["up", "down"]


# -- accounts ----------------------------------------------------------------------------
class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    role: str
    expires_in: int


# -- counselor ---------------------------------------------------------------------------
class EligibilityIn(Strict):
    profile: Profile = Field(description="劳动者画像")
    rule_id: str | None = Field(None, max_length=120, description="只检查这一条规则")
    as_of: dt.date | None = None


class EligibilityOut(BaseModel):
    as_of: str
    results: list[dict[str, Any]]


class MatchIn(Strict):
    profile: Profile = Field(default_factory=dict, description="劳动者画像")
    k: int = Field(10, ge=1, le=50)
    weights: dict[str, Any] | None = Field(None, description="调整各因素权重")
    why_not: str | None = Field(None, max_length=120, description="说明这个项目为什么没排上")
    as_of: dt.date | None = None


class GuideIn(Strict):
    profile: Profile = Field(default_factory=dict)
    k: int = Field(5, ge=1, le=50)
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
