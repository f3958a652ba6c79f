"""WeChat mini-program login against a stand-in ``code2session`` server (a real HTTP server
on 127.0.0.1): tokens that work, one session per WeChat user, the error shapes, and the
openid never leaving the login (not in responses, logs or the database)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.users import create_user
from api.wechat import openid_hash
from corpus.settings import Settings

APPID, SECRET = "wx-test-appid", "wx-test-secret-0123456789"
OPENIDS = {"code-alice": "oALICE-openid-7f3a9c", "code-alice-2": "oALICE-openid-7f3a9c",
           "code-bob": "oBOB-openid-2d81e4"}
SHAPE = {"code", "message", "detail"}
ROOT = Path(__file__).resolve().parent.parent


class FakeWechat(BaseHTTPRequestHandler):
    queries: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        FakeWechat.queries.append(query)
        code = query.get("js_code", [""])[0]
        if url.path != "/sns/jscode2session":
            self._send(404, b"not found", "text/plain")
            return
        if code == "slow":
            time.sleep(1.5)
        if code in OPENIDS:
            body = {"openid": OPENIDS[code], "session_key": "sk-secret-key=="}
        elif code == "busy":
            body = {"errcode": -1, "errmsg": "system error"}
        elif code == "html":
            self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
            return
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        self._send(200, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (slow code)
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def wechat_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWechat)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def settings(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
             wechat_url: str) -> Settings:
    home = tmp_path_factory.mktemp("wechat") / "home"
    shutil.copytree(shipped_settings.home, home)
    out = shipped_settings.model_copy(update={
        "home": home, "wechat_base_url": wechat_url, "wechat_appid": APPID,
        "wechat_secret": SECRET, "wechat_timeout_seconds": 0.5})
    create_user(out, "admin", "admin-secret-1", "admin")
    return out


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def wx_login(client: TestClient, code: str) -> dict:
    r = client.post("/v1/wechat/login", json={"code": code})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(body: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['token']}"}


def test_login_token_opens_the_conversation(client: TestClient, settings: Settings) -> None:
    FakeWechat.queries.clear()
    body = wx_login(client, "code-alice")
    assert set(body) == {"session_id", "token", "expires_in"}
    assert body["expires_in"] == settings.token_ttl_seconds
    query = FakeWechat.queries[-1]
    assert query == {"appid": [APPID], "secret": [SECRET], "js_code": ["code-alice"],
                     "grant_type": ["authorization_code"]}
    r = client.post(f"/v1/chat/sessions/{body['session_id']}/messages",
                    json={"text": "失业保险金怎么领取？"}, headers=bearer(body))
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["answer"] and isinstance(reply["quick_replies"], list)
    assert isinstance(reply["citations"], list)


def test_same_user_gets_the_same_session_back(client: TestClient) -> None:
    first = wx_login(client, "code-alice")
    again = wx_login(client, "code-alice-2")  # a new wx.login code, the same openid
    assert first["session_id"] == again["session_id"]
    history = client.get(f"/v1/chat/sessions/{again['session_id']}/messages",
                         headers=bearer(again))
    assert history.status_code == 200
    assert any(t["role"] == "user" for t in history.json()["turns"])


def test_two_users_get_different_sessions(client: TestClient) -> None:
    alice, bob = wx_login(client, "code-alice"), wx_login(client, "code-bob")
    assert alice["session_id"] != bob["session_id"]
    r = client.get(f"/v1/chat/sessions/{alice['session_id']}/messages", headers=bearer(bob))
    assert r.status_code == 403


@pytest.mark.parametrize(("code", "status", "error"), [
    ("bad-code", 401, "wechat_invalid_code"),
    ("busy", 502, "wechat_unavailable"),
    ("slow", 502, "wechat_unavailable"),
    ("html", 502, "wechat_unavailable"),
])
def test_wechat_errors_have_our_shape(client: TestClient, code: str, status: int,
                                      error: str) -> None:
    start = time.perf_counter()
    r = client.post("/v1/wechat/login", json={"code": code})
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == SHAPE and body["code"] == error
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    assert time.perf_counter() - start < 1.4  # the slow code is cut off by the timeout


def test_unreachable_wechat_is_502(settings: Settings) -> None:
    down = settings.model_copy(update={"wechat_base_url": "http://127.0.0.1:9"})
    r = TestClient(create_app(down)).post("/v1/wechat/login", json={"code": "code-alice"})
    assert r.status_code == 502 and r.json()["code"] == "wechat_unavailable"


def test_not_configured_is_503(settings: Settings) -> None:
    bare = settings.model_copy(update={"wechat_appid": "", "wechat_secret": ""})
    r = TestClient(create_app(bare)).post("/v1/wechat/login", json={"code": "code-alice"})
    assert r.status_code == 503
    assert set(r.json()) == SHAPE and r.json()["code"] == "wechat_not_configured"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 129},
                                  {"code": "code-alice", "openid": "x"}])
def test_bad_login_body_is_422(client: TestClient, body: dict) -> None:
    r = client.post("/v1/wechat/login", json=body)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"


def test_worker_token_from_wechat_cannot_use_admin_or_counselor_endpoints(
        client: TestClient) -> None:
    body = wx_login(client, "code-bob")
    for path in ("/v1/documents", f"/v1/chat/sessions/{body['session_id']}/profile"):
        r = client.get(path, headers=bearer(body))
        assert r.status_code == 403, (path, r.text)
        assert set(r.json()) == SHAPE
    admin = client.post("/v1/auth/login",
                        json={"username": "admin", "password": "admin-secret-1"})
    r = client.get("/v1/documents", headers={"Authorization": f"Bearer {admin.json()['token']}"})
    assert r.status_code == 200


def test_replies_carry_no_html(client: TestClient) -> None:
    body = wx_login(client, "code-bob")
    question = "<script>alert(1)</script>失业保险金<b>怎么</b>领取？<img src=x onerror=y>"
    r = client.post(f"/v1/chat/sessions/{body['session_id']}/messages",
                    json={"text": question}, headers=bearer(body))
    assert r.status_code == 200, r.text
    reply = r.json()
    texts = [reply["answer"], reply.get("follow_up") or "", *reply["quick_replies"]]
    for text in texts:
        assert not re.search(r"</?[A-Za-z!][^>]*>", text), text


def test_openid_never_leaves_the_login(client: TestClient, settings: Settings,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [client.post("/v1/wechat/login", json={"code": code})
                 for code in ("code-alice", "code-bob", "busy", "bad-code")]
    for r in responses:
        for secret in (*OPENIDS.values(), SECRET, "sk-secret-key"):
            assert secret not in r.text
    # the service's log file belongs to the first home configured in this process (logging
    # is set up once); caplog holds every record whichever home that was
    own_file = settings.home / "logs" / "jnt.log"
    logged = caplog.text + (own_file.read_text(encoding="utf-8") if own_file.exists() else "")
    assert "wechat login" in logged  # the login is logged, by hash
    for secret in (*OPENIDS.values(), SECRET, "sk-secret-key"):
        assert secret not in logged
    with sqlite3.connect(settings.home / "jnt.db") as db:
        hashes = {h for (h,) in db.execute("SELECT openid_hash FROM wechat_bindings")}
        assert hashes == {openid_hash(settings, o) for o in set(OPENIDS.values())}
        channels = {c for (c,) in db.execute(
            "SELECT s.channel FROM chat_sessions s JOIN wechat_bindings b ON b.session_id = s.id")}
        assert channels == {"wechat"}
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith(("wechat_", "chat_")):
                dump = repr(db.execute(f'SELECT * FROM "{table}"').fetchall())
                for openid in OPENIDS.values():
                    assert openid not in dump, table


# -- the sandbox (JNT_WECHAT_SANDBOX) -----------------------------------------------------
@pytest.fixture(scope="module")
def sandbox_settings(settings: Settings) -> Settings:
    """The sandbox on, no credentials, and WeChat unreachable: nothing may call it."""
    return settings.model_copy(update={"wechat_sandbox": True, "wechat_appid": "",
                                       "wechat_secret": "",
                                       "wechat_base_url": "http://127.0.0.1:9"})


@pytest.fixture(scope="module")
def sandbox(sandbox_settings: Settings) -> TestClient:
    return TestClient(create_app(sandbox_settings))


def test_the_sandbox_is_off_by_default(client: TestClient) -> None:
    assert Settings.model_fields["wechat_sandbox"].default is False
    FakeWechat.queries.clear()
    r = client.post("/v1/wechat/login", json={"code": "sandbox-alice"})
    assert r.status_code == 401 and r.json()["code"] == "wechat_invalid_code"
    assert FakeWechat.queries[-1]["js_code"] == ["sandbox-alice"]  # asked WeChat, refused
    assert "wechat_sandbox" not in client.get("/readyz").json()


def test_sandbox_logins_work_without_wechat(sandbox: TestClient,
                                            sandbox_settings: Settings) -> None:
    FakeWechat.queries.clear()
    alice = wx_login(sandbox, "sandbox-alice")
    assert wx_login(sandbox, "sandbox-alice")["session_id"] == alice["session_id"]
    bob = wx_login(sandbox, "sandbox-bob")
    assert bob["session_id"] != alice["session_id"]
    assert FakeWechat.queries == []
    # the whole mini-program flow: chat, stream, match on the worker's own session
    url = f"/v1/chat/sessions/{alice['session_id']}"
    r = sandbox.post(f"{url}/messages", json={"text": "我是退役军人，在赣州"},
                     headers=bearer(alice))
    assert r.status_code == 200, r.text
    r = sandbox.post(f"{url}/messages/stream", json={"text": "失业保险金怎么领取？"},
                     headers=bearer(alice))
    assert r.status_code == 200 and "event: done" in r.text
    r = sandbox.post(f"{url}/match", json={"k": 3}, headers=bearer(alice))
    assert r.status_code == 200, r.text
    assert sandbox.post(f"{url}/match", json={"k": 3}, headers=bearer(bob)).status_code == 403
    assert sandbox.get("/readyz").json() == {"status": "ready", "wechat_sandbox": True}
    # sandbox openids are prefixed before hashing: never a real user's binding
    with sqlite3.connect(sandbox_settings.home / "jnt.db") as db:
        hashes = {h for (h,) in db.execute("SELECT openid_hash FROM wechat_bindings")}
    assert openid_hash(sandbox_settings, "sandbox:alice") in hashes
    assert openid_hash(sandbox_settings, "alice") not in hashes


@pytest.mark.parametrize("code", ["code-alice", "sandbox-", "sandbox-a b", "SANDBOX-alice"])
def test_the_sandbox_refuses_other_codes_in_chinese(sandbox: TestClient, code: str) -> None:
    r = sandbox.post("/v1/wechat/login", json={"code": code})
    assert r.status_code == 401, r.text
    body = r.json()
    assert set(body) == SHAPE and body["code"] == "wechat_sandbox_code"
    assert "sandbox-" in body["message"] and re.search(r"[\u4e00-\u9fff]", body["message"])


def test_the_sandbox_is_logged_loudly(sandbox_settings: Settings,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="jnt.api.wechat")
    app = TestClient(create_app(sandbox_settings))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("WeChat sandbox is ON — never in production" in m for m in warnings)
    caplog.clear()
    wx_login(app, "sandbox-carol")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("WeChat sandbox login as carol" in m for m in warnings)


def test_the_sandbox_with_real_credentials_refuses_to_start(
        settings: Settings, tmp_path: Path) -> None:
    from api.wechat import SandboxWithCredentials

    with pytest.raises(SandboxWithCredentials):
        create_app(settings.model_copy(update={"wechat_sandbox": True}))
    env = {**os.environ, "JNT_HOME": str(settings.home), "HF_HUB_OFFLINE": "1",
           "JNT_WECHAT_SANDBOX": "true", "JNT_WECHAT_APPID": APPID,
           "JNT_WECHAT_SECRET": SECRET}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "JNT_WECHAT_SANDBOX" in done.stderr and "不能与真实的微信凭证" in done.stderr
    assert SECRET not in done.stderr + done.stdout
