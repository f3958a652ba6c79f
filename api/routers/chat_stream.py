"""``POST /v1/chat/sessions/{id}/messages/stream``: one chat turn as server-sent events, so
the worker sees the reply's first sentence while the citations are still being chosen.

Same body, token, rate limits, validation and ``Idempotency-Key`` as ``…/messages``; an
``Idempotency-Key`` is shared by the two (the request is hashed as ``…/messages``), so a
widget that falls back from the stream to the JSON endpoint with the same key gets the same
turn, never a second one. Everything that refuses the request (401/403/404, 400, 409, 422,
429) is answered as a JSON error before the stream starts.

The turn runs in a worker thread (assistant/streaming.py ``Relay``) and is written to the
database, in one transaction, only once the whole reply is made; ``done`` follows that
commit. An ``error`` event therefore means nothing was stored and the same
``Idempotency-Key`` may be retried. A client that goes away mid-stream does not stop the
turn: it completes, and a retry with the key gets it back (``Idempotent-Replayed``).

FastAPI's own SSE mode (a generator path operation, or ``EventSourceResponse`` as the
response class) starts the 200 response before the endpoint's first line runs, so the
checks above could not be HTTP errors; the endpoint returns its own streaming response and
uses ``fastapi.sse``'s wire format.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event
from sqlalchemy.orm import sessionmaker

from api import idempotency, request_id
from api.chat_turns import answer_turn, shown
from api.deps import SettingsDep, get_conversations, get_db
from api.error_codes import raises
from api.routers.chat import _authorize
from api.schemas import MessageIn
from api.security import WORKER_AUTH, identify
from assistant.answer import clean_question
from assistant.dialogue import Conversations
from assistant.streaming import Item, Relay
from corpus.errors import JntError

router = APIRouter(prefix="/chat", tags=["对话"])
log = logging.getLogger("jnt.api.chat")
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
DbDep = Annotated[sessionmaker, Depends(get_db)]
HEARTBEAT = b": keepalive\n\n"
# One event as a client parses it (OpenAPI 3.1: ``schema`` describes each event).
SSE_EVENT = {"type": "object", "required": ["data"], "properties": {
    "event": {"type": "string", "enum": ["start", "delta", "citations", "done", "error"]},
    "data": {"type": "string", "description": "JSON 文本，内容随事件而定"},
    "id": {"type": "string"}}}
SUFFIX = "/stream"
INTERNAL = {"code": "internal", "message": "服务内部错误，请稍后再试。", "detail": None}

EVENTS = """事件依次为：

- `start`：`{session_id, turn_id, replayed, request_id}`。新回答的 `turn_id` 为 null
  （回答写入后才有编号，见 `done`）；重放（同一 Idempotency-Key 的重试）时为已保存回答的编号。
- `delta`（一个或多个）：`{text}`。第一个是回答的第一句（结论“可以。/不可以。/要看条件。”
  或“文件规定：…”），在引用条文整理好之前发出；各 `delta` 依次拼接即为 `done.answer`。
- `citations`：`{citations: [...]}`，引用的条文。
- `done`：完整回答，与非流式接口 `POST /v1/chat/sessions/{session_id}/messages`
  返回的 JSON 相同。
- `error`：`{code, message, detail}`（中文 message）。出现 `error` 时本轮对话没有保存，
  可以用同一个 Idempotency-Key 重试。

回答较慢时每隔 `JNT_STREAM_HEARTBEAT_SECONDS` 秒发送一行注释（`: keepalive`），
以免代理断开连接。响应头带 `Cache-Control: no-cache`、`X-Accel-Buffering: no`。"""

EXAMPLE = ('event: start\ndata: {"session_id": "…", "turn_id": null, "replayed": false, '
           '"request_id": "…"}\n\n'
           'event: delta\ndata: {"text": "要看条件。"}\n\n'
           'event: delta\ndata: {"text": "\\n需要符合文件规定的条件：…"}\n\n'
           'event: citations\ndata: {"citations": [{"doc_id": "…", "quote": "…"}]}\n\n'
           'event: done\ndata: {"answer": "要看条件。\\n…", "turn_id": 42, "…": "…"}\n\n')


class EventStream(StreamingResponse):
    """``text/event-stream`` (also what the OpenAPI document says the 200 is)."""

    media_type = "text/event-stream"


def _event(name: str, data: Any) -> bytes:
    return format_sse_event(event=name, data_str=json.dumps(data, ensure_ascii=False))


def _as_message_request(request: Request) -> Request:
    """The request as ``…/messages`` would see it, for the idempotency hash."""
    path = request.scope["path"].removesuffix(SUFFIX)
    return Request({**request.scope, "path": path})


@router.post(
    "/sessions/{session_id}/messages/stream",
    response_class=EventStream,
    dependencies=[WORKER_AUTH],  # declares the scheme in the OpenAPI document only
    summary="发送一条消息（流式回答，SSE）",
    description=("与 `POST /v1/chat/sessions/{session_id}/messages` 相同的请求体、凭证、"
                 "限流、校验和 Idempotency-Key（两个接口共用同一个键），"
                 "但以 server-sent events 返回回答，"
                 "第一句先到。请求头 `Accept: text/event-stream`；浏览器请用 fetch 读取"
                 "（EventSource 不能 POST）。请求被拒绝时（400/401/403/404/409/422/429）"
                 "返回普通的 JSON 错误，不开始流。\n\n" + EVENTS),
    responses={200: {"description": "text/event-stream：start → delta… → citations → done，"
                                    "或 error",
                     "content": {"text/event-stream": {"schema": SSE_EVENT,
                                                       "example": EXAMPLE}}}},
    openapi_extra=raises("session_not_found", "token_mismatch", "question_too_long",
                         "bad_idempotency_key", "idempotency_mismatch",
                         "idempotency_in_progress"),
)
def say_streaming(session_id: str, body: MessageIn, request: Request, settings: SettingsDep,
                  conversations: ConversationsDep, db: DbDep) -> Response:
    caller = identify(request, settings)
    _authorize(caller, session_id, db)
    text = clean_question(body.text)  # refused here as a 400, not in the middle of a stream
    replay = Response()  # where idempotency.once marks a replayed answer

    def turn(emit: Any) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            emit("claimed", None)
            return answer_turn(session_id, text, conversations, db,
                               opening=lambda piece: emit("delta", piece))

        return idempotency.once(db, _as_message_request(request), replay, caller,
                                body.model_dump(mode="json"), make)

    relay: Relay[dict[str, Any]] = Relay(turn)
    first = relay.next()
    assert first is not None
    if first.kind == "error":  # a refused key (bad, mismatch, in progress)
        raise first.value
    replayed = replay.headers.get(idempotency.REPLAYED) == "true"
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    if replayed:
        headers[idempotency.REPLAYED] = "true"
    start = {"session_id": session_id, "replayed": replayed, "request_id": request_id.current(),
             "turn_id": first.value.get("turn_id") if first.kind == "result" else None}
    return EventStream(
        _events(relay, first, start, settings.stream_heartbeat_seconds), headers=headers)


def _events(relay: Relay[dict[str, Any]], first: Item, start: dict[str, Any],
            heartbeat: float) -> Iterator[bytes]:
    yield _event("start", start)
    sent = ""
    item: Item | None = first
    while True:
        if item is None:
            yield HEARTBEAT
        elif item.kind == "delta":
            sent += item.value
            yield _event("delta", {"text": item.value})
        elif item.kind == "error":
            yield _event("error", _error_body(item.value))
            return
        elif item.kind == "result":
            reply = shown(item.value)
            answer = reply.get("answer") or ""
            rest = answer[len(sent):] if answer.startswith(sent) else ""
            if rest:
                yield _event("delta", {"text": rest})
            yield _event("citations", {"citations": reply.get("citations") or []})
            yield _event("done", reply)
            return
        item = relay.next(heartbeat)


def _error_body(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, JntError):
        return exc.to_dict()
    log.error("streamed chat turn failed", exc_info=exc)
    return INTERNAL
