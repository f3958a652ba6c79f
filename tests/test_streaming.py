"""Streamed chat replies (``POST …/messages/stream``, server-sent events): the events and
their order, the first sentence sent before the citations are assembled, the same reply as
the JSON endpoint, nothing stored when a turn fails, idempotent retries, the same refusals
as ``…/messages``, and the chat widget using the stream in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.models import IdempotencyKey
from api.users import user_sessions
from assistant.answer import Assistant
from assistant.store import Turn
from corpus.settings import Settings
from tests.test_web import ARTIFACTS, CHROMIUM, _free_port

SHAPE = {"code", "message", "detail"}
VETERAN = "我当过兵，能参加补贴培训吗？"


@pytest.fixture(scope="module")
def settings(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("streaming") / "home"
    shutil.copytree(shipped_settings.home, home)
    return shipped_settings.model_copy(update={"home": home, "stream_heartbeat_seconds": 0.05})


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1, for reading a stream as it arrives."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def new_session(client: Any, profile: dict[str, Any] | None = None) -> tuple[str, dict]:
    r = client.post("/v1/chat/sessions", json={"profile": profile} if profile else {})
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}


def parse(text: str) -> list[tuple[str, Any]]:
    """SSE blocks as (event, data); a comment block as (":", comment)."""
    out: list[tuple[str, Any]] = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        if all(line.startswith(":") for line in lines):
            out.append((":", lines[0][1:].strip()))
            continue
        name = next(line[7:] for line in lines if line.startswith("event: "))
        data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
        out.append((name, json.loads(data)))
    return out


def stream(client: Any, session_id: str, text: str, headers: dict) -> tuple[Any, list]:
    r = client.post(f"/v1/chat/sessions/{session_id}/messages/stream", json={"text": text},
                    headers={**headers, "Accept": "text/event-stream"})
    assert r.status_code == 200, r.text
    return r, [e for e in parse(r.text) if e[0] != ":"]


def turns(settings: Settings, session_id: str) -> int:
    with user_sessions(settings)() as db:
        return db.scalar(select(func.count()).select_from(Turn)
                         .where(Turn.session_id == session_id))


def test_events_come_in_order_and_spell_the_reply(client: TestClient,
                                                  settings: Settings) -> None:
    session_id, auth = new_session(client)
    r, events = stream(client, session_id, VETERAN, auth)
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache" and r.headers["x-accel-buffering"] == "no"
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"} and len(names) >= 4
    start, done = events[0][1], events[-1][1]
    assert start == {"session_id": session_id, "turn_id": None, "replayed": False,
                     "request_id": r.headers["x-request-id"]}
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert "".join(deltas) == done["answer"]
    assert deltas[0] == done["answer"].splitlines()[0]  # the verdict sentence on its own
    assert deltas[0] in ("可以。", "要看条件。", "不可以。")
    assert events[-2][1] == {"citations": done["citations"]} and done["citations"]
    history = client.get(f"/v1/chat/sessions/{session_id}/messages", headers=auth).json()
    assert [t["role"] for t in history["turns"]] == ["user", "assistant"]
    assert history["turns"][-1]["id"] == done["turn_id"]
    assert turns(settings, session_id) == 2


def test_done_is_the_reply_the_json_endpoint_gives(client: TestClient) -> None:
    """Two sessions in the same state, one streamed and one not, answer alike turn after
    turn: a question, a reply to its follow-up (「好的，已记下…」 streamed first), another."""
    profile = {"groups": ["退役军人"]}
    streamed, auth_s = new_session(client, profile)
    plain, auth_p = new_session(client, profile)
    for text in (VETERAN, "赣州", "失业保险金怎么领取？"):
        _, events = stream(client, streamed, text, auth_s)
        done = events[-1][1]
        r = client.post(f"/v1/chat/sessions/{plain}/messages", json={"text": text},
                        headers=auth_p)
        assert r.status_code == 200, r.text
        expected = r.json()
        assert {**done, "turn_id": 0} == {**expected, "turn_id": 0}, text
        deltas = [data["text"] for name, data in events if name == "delta"]
        assert "".join(deltas) == done["answer"]
        if text == "赣州":
            assert deltas[0].startswith("好的，已记下")


def test_the_first_sentence_is_sent_before_the_citations_are_assembled(
        service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held inside the citation step, the turn has already delivered its first sentence,
    and heartbeat comments keep the connection alive while it waits."""
    entered, release = threading.Event(), threading.Event()
    original = Assistant._citations

    def held(self: Assistant, seen: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return original(self, seen)

    monkeypatch.setattr(Assistant, "_citations", held)
    with httpx.Client(base_url=service, timeout=60) as http:
        session_id, auth = new_session(http)
        seen: list[tuple[str, Any]] = []
        with http.stream("POST", f"/v1/chat/sessions/{session_id}/messages/stream",
                         json={"text": VETERAN}, headers=auth) as r:
            assert r.status_code == 200
            buffer = ""
            for chunk in r.iter_text():
                buffer += chunk
                *blocks, buffer = buffer.split("\n\n")
                seen += parse("\n\n".join(blocks))
                names = [name for name, _ in seen]
                if "delta" in names and not release.is_set():
                    assert entered.wait(30) and "citations" not in names
                    if names.count(":") >= 2:  # heartbeats while the citations wait
                        release.set()
            seen += parse(buffer)
    names = [name for name, _ in seen if name != ":"]
    assert names[0] == "start" and names[1] == "delta" and names[-2:] == ["citations", "done"]
    assert release.is_set()


def test_an_error_midway_stores_nothing_and_the_retry_answers_once(
        client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id, auth = new_session(client)
    keyed = {**auth, "Idempotency-Key": "retry-after-failure-1"}

    def broken(self: Assistant, seen: Any) -> Any:
        raise RuntimeError("citation store unavailable")

    monkeypatch.setattr(Assistant, "_citations", broken)
    _, events = stream(client, session_id, VETERAN, keyed)
    assert [name for name, _ in events] == ["start", "delta", "error"]
    error = events[-1][1]
    assert set(error) == SHAPE and error["code"] == "internal"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert "citation store" not in json.dumps(error)
    assert turns(settings, session_id) == 0  # no half-written turn
    with user_sessions(settings)() as db:
        assert db.scalar(select(func.count()).select_from(IdempotencyKey)
                         .where(IdempotencyKey.key == keyed["Idempotency-Key"])) == 0
    monkeypatch.undo()

    r1, first = stream(client, session_id, VETERAN, keyed)
    r2, again = stream(client, session_id, VETERAN, keyed)
    assert "idempotent-replayed" not in r1.headers
    assert r2.headers["idempotent-replayed"] == "true"
    assert again[0][1]["replayed"] is True and again[0][1]["turn_id"] == first[-1][1]["turn_id"]
    assert again[-1] == first[-1]
    assert "".join(d["text"] for n, d in again if n == "delta") == first[-1][1]["answer"]
    # the key is shared with the JSON endpoint: a fallback there gets the same turn
    plain = client.post(f"/v1/chat/sessions/{session_id}/messages", json={"text": VETERAN},
                        headers=keyed)
    assert plain.headers["idempotent-replayed"] == "true"
    assert plain.json() == first[-1][1]
    assert turns(settings, session_id) == 2
    other = client.post(f"/v1/chat/sessions/{session_id}/messages/stream",
                        json={"text": "失业保险金怎么领取？"}, headers=keyed)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"


@pytest.mark.parametrize("case", ["no_token", "other_session", "unknown_session", "empty",
                                  "too_long", "extra_field", "bad_key", "malformed"])
def test_refusals_match_the_json_endpoint(client: TestClient, case: str) -> None:
    session_id, auth = new_session(client)
    other_id, other_auth = new_session(client)
    path, headers, body = session_id, dict(auth), {"text": VETERAN}
    if case == "no_token":
        headers = {}
    elif case == "other_session":
        headers = other_auth
    elif case == "unknown_session":
        path = "0" * 32
    elif case == "empty":
        body = {"text": "   "}
    elif case == "too_long":
        body = {"text": "培训" * 1500}
    elif case == "extra_field":
        body = {"text": VETERAN, "role": "admin"}
    elif case == "bad_key":
        headers["Idempotency-Key"] = "not a valid key!"
    kwargs: dict[str, Any] = {"content": b"{not json", "headers": {
        **headers, "Content-Type": "application/json"}} if case == "malformed" else {
        "json": body, "headers": headers}
    plain = client.post(f"/v1/chat/sessions/{path}/messages", **kwargs)
    streamed = client.post(f"/v1/chat/sessions/{path}/messages/stream", **kwargs)
    assert plain.status_code >= 400, (case, plain.text)
    assert streamed.status_code == plain.status_code, (case, streamed.text)
    assert streamed.headers["content-type"].startswith("application/json")
    assert set(streamed.json()) == SHAPE
    assert streamed.json()["code"] == plain.json()["code"]


def test_the_session_rate_limit_applies_with_its_headers(settings: Settings) -> None:
    tight = TestClient(create_app(settings.model_copy(
        update={"rate_limit_session_per_minute": 2})))
    session_id, auth = new_session(tight)
    url = f"/v1/chat/sessions/{session_id}/messages/stream"
    ok = tight.post(url, json={"text": "你好"}, headers=auth)
    assert ok.status_code == 200 and ok.headers["x-ratelimit-limit"] == "2"
    tight.post(url, json={"text": "你好"}, headers=auth)
    refused = tight.post(url, json={"text": "你好"}, headers=auth)
    assert refused.status_code == 429
    assert set(refused.json()) == SHAPE and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-remaining"] == "0"


def test_the_stream_is_described_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/v1/chat/sessions/{session_id}/messages/stream"]["post"]
    assert op["summary"] and any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"])
    assert "text/event-stream" in op["responses"]["200"]["content"]
    for event in ("start", "delta", "citations", "done", "error"):
        assert f"`{event}`" in op["description"]


# -- the widget in a real browser --------------------------------------------------------
browser_only = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                  reason="Debian's chromium is not installed here")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM, "CI must install Debian's chromium (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _ask_in_widget(page: Any, question: str | None) -> Any:
    """The reply to ``question`` (or to the one already sent) once it has fully arrived."""
    if question is not None:
        page.get_by_role("button", name="政策咨询").click()
        page.fill("#jnt-input", question)
        page.keyboard.press("Enter")
    reply = page.locator(".jnt-bot").nth(1)
    page.wait_for_function(
        "() => { const r = document.querySelectorAll('.jnt-bot')[1];"
        " return r && !r.hasAttribute('aria-busy') && r.querySelector('details'); }",
        timeout=60_000)
    return reply


@browser_only
def test_the_widget_streams_its_replies(service: str, browser: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first sentence shows while the citations are held back; then the whole reply
    with its citation cards, all through the stream endpoint."""
    release = threading.Event()
    original = Assistant._citations

    def held(self: Assistant, seen: Any) -> Any:
        release.wait(30)
        return original(self, seen)

    monkeypatch.setattr(Assistant, "_citations", held)
    page = browser.new_page()
    posted: list[str] = []
    page.on("request", lambda req: posted.append(req.url) if req.method == "POST" else None)
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    page.fill("#jnt-input", VETERAN)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const r = document.querySelectorAll('.jnt-bot')[1];"
        " return r && /^(可以|要看条件|不可以)。$/.test(r.textContent); }", timeout=60_000)
    assert page.locator(".jnt-bot").nth(1).get_attribute("aria-busy") == "true"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-streamed-first-sentence.png"), full_page=True)
    release.set()
    reply = _ask_in_widget(page, None)
    text = reply.inner_text()
    assert text.startswith(("可以", "要看条件")), text
    assert reply.locator("details.jnt-cite").count() >= 1
    messages = [u for u in posted if "/messages" in u]
    assert len(messages) == 1 and messages[0].endswith("/messages/stream"), posted
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-streamed.png"), full_page=True)
    page.close()


@browser_only
def test_the_widget_falls_back_when_the_stream_fails(service: str, browser: Any) -> None:
    page = browser.new_page()
    posted: list[str] = []
    page.on("request", lambda req: posted.append(req.url) if req.method == "POST" else None)
    page.route("**/messages/stream", lambda route: route.abort())
    page.goto(f"{service}/demo")
    reply = _ask_in_widget(page, VETERAN)
    assert reply.inner_text().startswith(("可以", "要看条件"))
    assert [u.rsplit("/", 1)[-1] for u in posted if "/messages" in u] == ["stream", "messages"]
    page.close()
