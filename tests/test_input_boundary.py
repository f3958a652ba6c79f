"""Input the service cannot store or use is refused at the boundary: 422 with the field and
a Chinese reason, the ``{code, message, detail}`` shape, nothing written — never a 500.

Bodies are sent as raw JSON text so a lone surrogate (``\\ud800``), ``NaN`` and
``Infinity`` reach the server exactly as a hostile or buggy client would send them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.fields import INT32_MAX
from api.users import user_sessions
from assistant.store import ChatSession, Feedback, Turn
from corpus.settings import Settings
from tests.test_service import service_home

SHAPE = {"code", "message", "detail"}
SURROGATE = '"\\ud800"'  # JSON text of a lone surrogate


@pytest.fixture(scope="module")
def settings(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return service_home(shipped_settings, tmp_path_factory, "boundary", programs=60)


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def counselor(client: TestClient) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"username": "counselor",
                                            "password": "counsel-secret-1"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def post(client: TestClient, url: str, raw: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(url, content=raw.encode("utf-8"),
                       headers={"Content-Type": "application/json", **(headers or {})})


def counts(settings: Settings) -> dict[str, int]:
    with user_sessions(settings)() as db:
        return {m.__name__: db.scalar(select(func.count()).select_from(m)) or 0
                for m in (ChatSession, Turn, Feedback)}


def assert_refused(r: Any, field: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == SHAPE and body["code"] == "invalid_request"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert "Traceback" not in r.text
    hit = [d for d in body["detail"] if d["field"].startswith(field)]
    assert hit, body["detail"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in d["reason"]) for d in body["detail"])
    return body


@pytest.mark.parametrize("url,raw,field", [
    ("/v1/ask", '{"question": "补贴", "context": [' + SURROGATE + "]}", "body.context.0"),
    ("/v1/ask", '{"question": "补贴", "profile": {"name": ' + SURROGATE + "}}", "body.profile"),
    ("/v1/ask", '{"question": "补贴", "profile": {"groups": ["a\\u0000b"]}}', "body.profile"),
    ("/v1/ask", '{"question": "补\\u0007贴"}', "body.question"),
    ("/v1/ask", '{"question": "补贴", "region": "赣州\\n市"}', "body.region"),
    ("/v1/ask", '{"question": "补贴", "profile": {"age": NaN}}', "body.profile"),
    ("/v1/ask", '{"question": "补贴", ' + SURROGATE + ": 1}", "body"),
])
def test_ask_refuses_unstorable_input(client: TestClient, url: str, raw: str,
                                      field: str) -> None:
    assert_refused(post(client, url, raw), field)


@pytest.mark.parametrize("path,profile", [
    ("", '{"name": ' + SURROGATE + "}"),
    ("", '{"age": NaN}'),
    ("", '{"age": Infinity}'),
    ("", '{"age": -Infinity}'),
    ("", '{"age": 1' + "0" * 25 + "}"),
    ("", '{' + SURROGATE + ': "x"}'),
    ("/guide", '{"name": ' + SURROGATE + "}"),
    ("/guide", '{"age": NaN}'),
    ("/guide", '{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}'),
])
def test_match_refuses_bad_profiles(client: TestClient, counselor: dict[str, str], path: str,
                                    profile: str) -> None:
    r = post(client, f"/v1/match{path}", '{"profile": ' + profile + "}", counselor)
    assert_refused(r, "body.profile")


def test_match_weights_must_be_finite(client: TestClient, counselor: dict[str, str]) -> None:
    r = post(client, "/v1/match", '{"profile": {}, "weights": {"distance": NaN}}', counselor)
    assert_refused(r, "body.weights")


def test_a_session_with_a_bad_profile_is_never_created(client: TestClient,
                                                       settings: Settings) -> None:
    before = counts(settings)
    r = post(client, "/v1/chat/sessions", '{"profile": {"city": ' + SURROGATE + "}}")
    assert_refused(r, "body.profile")
    assert counts(settings) == before


@pytest.mark.parametrize("text", [SURROGATE, '"你好\\u0000"', '"a\\u001bb"'])
def test_a_bad_message_commits_nothing(client: TestClient, settings: Settings,
                                       text: str) -> None:
    r = client.post("/v1/chat/sessions", json={})
    assert r.status_code == 201, r.text
    session_id, token = r.json()["session_id"], r.json()["token"]
    before = counts(settings)
    r = post(client, f"/v1/chat/sessions/{session_id}/messages", '{"text": ' + text + "}",
             {"Authorization": f"Bearer {token}"})
    assert_refused(r, "body.text")
    assert counts(settings) == before


def test_multiline_text_is_still_accepted(client: TestClient, settings: Settings) -> None:
    r = client.post("/v1/chat/sessions", json={"profile": {"note": "第一行\n第二行\t!"}})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("raw,field", [
    ('{"turn_id": ' + str(2**70) + ', "rating": "up"}', "body.turn_id"),
    ('{"turn_id": ' + str(INT32_MAX + 1) + ', "rating": "up"}', "body.turn_id"),
    ('{"turn_id": 1, "rating": "down", "reason": "不好\\u0000"}', "body.reason"),
    ('{"turn_id": 1, "rating": "down", "reason": ' + SURROGATE + "}", "body.reason"),
])
def test_feedback_ids_and_reasons(client: TestClient, settings: Settings, raw: str,
                                  field: str) -> None:
    r = client.post("/v1/chat/sessions", json={})
    token = r.json()["token"]
    before = counts(settings)
    assert_refused(post(client, "/v1/feedback", raw, {"Authorization": f"Bearer {token}"}),
                   field)
    assert counts(settings) == before


@pytest.mark.parametrize("username", ['"admin\\u0000"', SURROGATE])
def test_login_refuses_unstorable_usernames(client: TestClient, username: str) -> None:
    r = post(client, "/v1/auth/login", '{"username": ' + username + ', "password": "x"}')
    assert_refused(r, "body.username")


def test_handout_case_id_must_fit_the_column(client: TestClient,
                                             counselor: dict[str, str]) -> None:
    r = post(client, "/v1/handout.html", '{"case_id": ' + str(2**64) + "}", counselor)
    assert_refused(r, "body.case_id")


def test_english_pydantic_reasons_are_translated(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "补" * 2001})
    body = assert_refused(r, "body.question")
    assert body["detail"][0]["reason"] == "最多 2000 个字"


# -- uploads ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,code", [
    ("培" * 300 + ".csv", "filename_too_long"),
    ("a" * 260 + ".csv", "filename_too_long"),
    ("../../etc/catalog.csv", "bad_filename"),
    ("C:\\\\Users\\\\me\\\\catalog.csv", "bad_filename"),  # quoted-string escapes
    ("cat\x01alog.csv", "bad_filename"),
])
def test_bad_upload_names_get_a_clear_400(client: TestClient, settings: Settings, name: str,
                                          code: str) -> None:
    r = client.post("/v1/auth/login", json={"username": "admin", "password": "admin-secret-1"})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    uploads = settings.home / "uploads"
    before = sorted(uploads.iterdir()) if uploads.is_dir() else []
    # built by hand: httpx would percent-encode a control character in the name
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
            + name.encode("utf-8") + b"\"\r\nContent-Type: text/csv\r\n\r\n"
            b"program_id,title\n\r\n--XyZ--\r\n")
    r = client.post("/v1/catalog/import", content=body, headers={
        **auth, "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == SHAPE and body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert (sorted(uploads.iterdir()) if uploads.is_dir() else []) == before


# -- the same rule on PostgreSQL (NUL bytes are what it refuses) ---------------------------
def test_nul_bytes_are_refused_before_postgres_sees_them(tmp_path: Path) -> None:
    """On PostgreSQL a NUL byte in text raised inside the driver (500); the schema now
    refuses it on every backend, so the check is the same wherever it runs."""
    from api.schemas import FeedbackIn, LoginIn, MessageIn

    for model, data in ((MessageIn, {"text": "a\x00"}),
                        (FeedbackIn, {"turn_id": 1, "rating": "up", "reason": "\x00"}),
                        (LoginIn, {"username": "a\x00", "password": "p"})):
        with pytest.raises(ValueError, match="空字符"):
            model.model_validate(data)


# -- /readyz: ready means writable ---------------------------------------------------------
def test_readyz_is_ready_on_a_writable_home(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_says_not_ready_when_the_home_cannot_be_written(
        client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from api.routers import ops

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(ops.os, "fsync", full)
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert set(body) == SHAPE and body["code"] == "not_ready"
    assert body["detail"]["failed"] == ["home"]
    assert not list(settings.home.glob(".ready-*"))  # the probe never stays behind


def test_readyz_says_not_ready_when_the_database_is_read_only(
        client: TestClient, settings: Settings) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from api.deps import get_db

    path = settings.home / "jnt.db"
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    client.app.dependency_overrides[get_db] = lambda: sessionmaker(engine)  # type: ignore[attr-defined]
    try:
        r = client.get("/readyz")
    finally:
        client.app.dependency_overrides.pop(get_db)  # type: ignore[attr-defined]
        engine.dispose()
    assert r.status_code == 503, r.text
    assert r.json()["detail"]["failed"] == ["database"]
