"""What a WeChat mini-program needs from ``/v1`` (the API as a contract): a worker ranks
their own session's profile, request ids, honest rate limits, idempotent creation,
paged history and missing facts a worker can read."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.deps import get_assistant
from api.models import Case, IdempotencyKey
from api.request_id import RequestIdFilter
from api.users import user_sessions
from assistant.answer import Answer
from assistant.store import ChatSession, Feedback, Turn
from corpus.settings import Settings
from tests.test_service import KEY, service_home, settings_for

SHAPE = {"code", "message", "detail"}


@pytest.fixture(scope="module")
def settings(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return service_home(shipped_settings, tmp_path_factory, "miniprogram")


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def new_session(client: TestClient, profile: dict[str, Any] | None = None
                ) -> tuple[str, dict[str, str]]:
    r = client.post("/v1/chat/sessions", json={"profile": profile} if profile else {})
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == SHAPE and body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


# -- 1. a worker matches on their own session's profile ----------------------------------
def test_a_worker_ranks_their_own_session_profile(client: TestClient) -> None:
    profile = {"city": "赣州市", "interests": ["电工"], "groups": ["退役军人"]}
    session_id, auth = new_session(client, profile)
    url = f"/v1/chat/sessions/{session_id}/match"
    # the plain counselor endpoint still refuses a worker token
    assert_error(client.post("/v1/match", json={"profile": profile}, headers=auth),
                 403, "forbidden")
    r = client.post(url, json={"k": 3}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert 1 <= len(body["results"]) <= 3
    # the same ranking a partner gets for the same profile
    partner = client.post("/v1/match", json={"profile": profile, "k": 3},
                          headers={"X-API-Key": KEY}).json()
    assert [p["program_id"] for p in body["results"]] == \
        [p["program_id"] for p in partner["results"]]
    top = body["results"][0]["program_id"]
    why = client.post(url, json={"why_not": top}, headers=auth)
    assert why.status_code == 200 and why.json()["program_id"] == top
    guided = client.post(f"{url}/guide", json={"k": 3}, headers=auth)
    assert guided.status_code == 200, guided.text
    assert {"top", "stable", "next_question"} <= set(guided.json())


def test_a_worker_cannot_send_a_profile_or_use_another_session(client: TestClient) -> None:
    session_id, auth = new_session(client)
    other_id, _ = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/match"
    assert_error(client.post(url, json={"profile": {"city": "北京市"}}, headers=auth),
                 422, "invalid_request")
    assert_error(client.post(f"/v1/chat/sessions/{other_id}/match", json={}, headers=auth),
                 403, "token_mismatch")
    assert_error(client.post(f"/v1/chat/sessions/{other_id}/match/guide", json={},
                             headers=auth), 403, "token_mismatch")
    assert_error(client.post(url, json={}), 401, "auth_required")


# -- 2. request ids ----------------------------------------------------------------------
class _Lines(logging.Handler):
    """Formats records the way the service's log handlers do."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.addFilter(RequestIdFilter())
        self.setFormatter(logging.Formatter("%(name)s [%(request_id)s]: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture()
def log_lines() -> Any:
    handler, root = _Lines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_client_request_id_is_returned_and_on_every_log_line(client: TestClient,
                                                               log_lines: list[str]) -> None:
    session_id, auth = new_session(client)
    rid = "mp-7f3a.req_0001"
    r = client.post(f"/v1/chat/sessions/{session_id}/messages", json={"text": "你好"},
                    headers={**auth, "X-Request-ID": rid})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == rid
    mine = [line for line in log_lines if f"chat {session_id}" in line]
    assert mine and all(f"[{rid}]" in line for line in mine)


@pytest.mark.parametrize("presented", ["x" * 65, "a b", "id;[x]", "路径", ""])
def test_a_bad_request_id_is_replaced(client: TestClient, presented: str) -> None:
    r = client.get("/v1/vocabulary", headers={"X-Request-ID": presented.encode("utf-8")})
    rid = r.headers["X-Request-ID"]
    assert rid != presented and re.fullmatch(r"[0-9a-f]{32}", rid)


def test_every_response_has_a_request_id(client: TestClient) -> None:
    ids = {client.get(path).headers.get("X-Request-ID")
           for path in ("/healthz", "/v1/nowhere", "/v1/vocabulary")}
    assert None not in ids and len(ids) == 3  # generated, one per request
    assert client.post("/v1/match", json={}).headers.get("X-Request-ID")  # 401 too


# -- 3. rate limits a client can pace itself by ------------------------------------------
def test_a_429_says_when_to_retry(settings: Settings) -> None:
    limited = TestClient(create_app(settings_for(settings.home,
                                                 rate_limit_address_per_minute=2)))
    first = limited.get("/v1/vocabulary")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    limited.get("/v1/vocabulary")
    r = limited.get("/v1/vocabulary", headers={"X-Request-ID": "paced-1"})
    assert_error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    assert r.headers["X-RateLimit-Limit"] == "2" and r.headers["X-RateLimit-Remaining"] == "0"
    assert r.headers["X-Request-ID"] == "paced-1"


def test_the_session_limit_counts_answers_not_history_reads(settings: Settings) -> None:
    limited = TestClient(create_app(settings_for(settings.home,
                                                 rate_limit_session_per_minute=2)))
    session_id, auth = new_session(limited)
    url = f"/v1/chat/sessions/{session_id}/messages"
    for _ in range(5):  # reading the history is free
        assert limited.get(url, headers=auth).status_code == 200
    assert limited.post(url, json={"text": "你好"}, headers=auth).status_code == 200
    assert limited.post(url, json={"text": "谢谢"}, headers=auth).status_code == 200
    r = limited.post(url, json={"text": "再见"}, headers=auth)
    assert_error(r, 429, "rate_limited")
    assert "Retry-After" in r.headers
    assert limited.get(url, headers=auth).status_code == 200  # still readable


# -- 4. idempotent creation --------------------------------------------------------------
def count(settings: Settings, model: Any) -> int:
    with user_sessions(settings)() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_retried_session_start_returns_the_same_session(client: TestClient,
                                                          settings: Settings) -> None:
    key = {"Idempotency-Key": "start-0b6f1c2e"}
    first = client.post("/v1/chat/sessions", json={"channel": "wechat"}, headers=key)
    before = count(settings, ChatSession)
    again = client.post("/v1/chat/sessions", json={"channel": "wechat"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["session_id"] == first.json()["session_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(settings, ChatSession) == before
    other = client.post("/v1/chat/sessions", json={"channel": "web"}, headers=key)
    assert_error(other, 409, "idempotency_mismatch")
    assert count(settings, ChatSession) == before
    with user_sessions(settings)() as db:  # no bearer token is kept with the key
        row = db.scalars(select(IdempotencyKey).where(
            IdempotencyKey.key == "start-0b6f1c2e")).one()
        assert "token" not in row.response


def test_a_retried_message_is_answered_once(client: TestClient, settings: Settings) -> None:
    session_id, auth = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/messages"
    headers = {**auth, "Idempotency-Key": "msg-1"}
    first = client.post(url, json={"text": "我当过兵，在赣州"}, headers=headers)
    again = client.post(url, json={"text": "我当过兵，在赣州"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert len(client.get(url, headers=auth).json()["turns"]) == 2  # asked once
    assert_error(client.post(url, json={"text": "能参加补贴培训吗？"}, headers=headers),
                 409, "idempotency_mismatch")
    # keys belong to their caller: another session's "msg-1" is its own
    other_id, other = new_session(client)
    r = client.post(f"/v1/chat/sessions/{other_id}/messages", json={"text": "你好"},
                    headers={**other, "Idempotency-Key": "msg-1"})
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers

    turn_id = first.json()["turn_id"]
    before = count(settings, Feedback)
    fb = {"turn_id": turn_id, "rating": "up"}
    rated = [client.post("/v1/feedback", json=fb, headers={**auth, "Idempotency-Key": "fb-1"})
             for _ in range(2)]
    assert [r.status_code for r in rated] == [201, 201]
    assert rated[0].json() == rated[1].json()
    assert count(settings, Feedback) == before + 1


def test_a_failed_request_leaves_its_key_free(client: TestClient) -> None:
    session_id, auth = new_session(client)
    headers = {**auth, "Idempotency-Key": "fb-missing"}
    assert_error(client.post("/v1/feedback", json={"turn_id": 999_999, "rating": "up"},
                             headers=headers), 404, "turn_not_found")
    url = f"/v1/chat/sessions/{session_id}/messages"
    turn_id = client.post(url, json={"text": "你好"}, headers=auth).json()["turn_id"]
    r = client.post("/v1/feedback", json={"turn_id": turn_id, "rating": "up"},
                    headers=headers)
    assert r.status_code == 201, r.text  # the failed first try did not keep the key
    assert_error(client.post("/v1/feedback", json={"turn_id": turn_id, "rating": "up"},
                             headers={**auth, "Idempotency-Key": "bad key!"}),
                 400, "bad_idempotency_key")


def test_a_retried_case_creation_makes_one_case(client: TestClient,
                                                settings: Settings) -> None:
    r = client.post("/v1/auth/login", json={"username": "counselor",
                                            "password": "counsel-secret-1"})
    auth = {"Authorization": f"Bearer {r.json()['token']}", "Idempotency-Key": "case-1"}
    body = {"profile": {"city": "赣州市"}, "notes": "想学电工"}
    before = count(settings, Case)
    first = client.post("/v1/cases", json=body, headers=auth)
    again = client.post("/v1/cases", json=body, headers=auth)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert count(settings, Case) == before + 1
    assert_error(client.post("/v1/cases", json={**body, "notes": "想学焊工"}, headers=auth),
                 409, "idempotency_mismatch")


def test_a_key_older_than_a_day_is_forgotten(client: TestClient, settings: Settings) -> None:
    key = {"Idempotency-Key": "start-old"}
    first = client.post("/v1/chat/sessions", json={}, headers=key).json()["session_id"]
    with user_sessions(settings)() as db, db.begin():
        row = db.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "start-old")).one()
        row.created_at -= dt.timedelta(hours=25)
    again = client.post("/v1/chat/sessions", json={}, headers=key).json()["session_id"]
    assert again != first


# -- 5. paged history --------------------------------------------------------------------
def test_history_pages_with_a_cursor(client: TestClient) -> None:
    session_id, auth = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/messages"
    for text in ("你好", "我在赣州", "谢谢"):
        assert client.post(url, json={"text": text}, headers=auth).status_code == 200
    everything = client.get(url, headers=auth).json()
    assert len(everything["turns"]) == 6 and everything["next_cursor"] is None
    seen: list[int] = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2, **({"after": cursor} if cursor else {})}
        page = client.get(url, params=params, headers=auth).json()
        assert len(page["turns"]) == 2
        seen += [t["id"] for t in page["turns"]]
        cursor = page["next_cursor"]
    assert cursor is None  # the third page was the last
    assert seen == [t["id"] for t in everything["turns"]]
    assert_error(client.get(url, params={"after": "abc"}, headers=auth), 400, "bad_cursor")
    assert_error(client.get(url, params={"limit": 0}, headers=auth), 422, "invalid_request")


# -- 6. missing facts a worker can read --------------------------------------------------
def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_ask_describes_missing_facts_in_chinese(settings: Settings) -> None:
    class Stub:
        def answer(self, *_: Any, **__: Any) -> Answer:
            return Answer(answer="要看您的户籍。", verdict="conditional",
                          missing_facts=["hukou_province", "age"])

    app = create_app(settings)
    app.dependency_overrides[get_assistant] = Stub
    r = TestClient(app).post("/v1/ask", json={"question": "我能领补贴吗？"})
    assert r.status_code == 200, r.text
    facts = r.json()["missing_facts"]
    assert [f["key"] for f in facts] == ["hukou_province", "age"]
    for fact in facts:
        assert set(fact) == {"key", "label", "question"}
        assert _is_chinese(fact["label"]) and _is_chinese(fact["question"])


def test_chat_history_describes_stored_missing_facts(client: TestClient,
                                                     settings: Settings) -> None:
    session_id, auth = new_session(client)
    with user_sessions(settings)() as db, db.begin():
        db.add(Turn(session_id=session_id, ordinal=0, role="assistant", text="要看年龄。",
                    answer={"answer": "要看年龄。", "missing_facts": ["age"]}))
    turns = client.get(f"/v1/chat/sessions/{session_id}/messages", headers=auth).json()["turns"]
    (fact,) = turns[0]["answer"]["missing_facts"]
    assert fact["key"] == "age" and _is_chinese(fact["label"]) and _is_chinese(fact["question"])
    # a live reply has the same shape
    reply = client.post(f"/v1/chat/sessions/{session_id}/messages",
                        json={"text": "退役军人参加职业技能培训有补贴吗？"}, headers=auth).json()
    assert all(set(f) == {"key", "label", "question"} for f in reply["missing_facts"])
