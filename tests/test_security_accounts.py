"""Accounts under attack: a forged ``X-Forwarded-For`` buys no extra guesses, an account
locks after repeated wrong passwords until it runs out or an admin lifts it, failed logins
are logged without the password, and a token dies with a password/role change, disabling,
logout, or a lifetime longer than the server allows."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from api import security
from api.app import create_app
from api.users import create_user, set_active
from corpus.errors import InvalidInput
from corpus.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PEER = ("203.0.113.9", 50000)


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(home=tmp_path / "home", **extra)  # type: ignore[arg-type]


def _client(settings: Settings, peer: tuple[str, int] = PEER) -> TestClient:
    return TestClient(create_app(settings), client=peer)


def _login(client: TestClient, username: str, password: str, **headers: str) -> Any:
    return client.post("/v1/auth/login", json={"username": username, "password": password},
                       headers=headers)


def _bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _code(response: Any) -> str:
    return response.json()["code"]


def _admin_probe(client: TestClient, auth: dict[str, str]) -> int:
    """200-or-404 when the admin token is accepted (the job does not exist), else 401."""
    return client.get("/v1/jobs/no-such-job", headers=auth).status_code


# -- 1. guessing --------------------------------------------------------------------------
def test_rotating_x_forwarded_for_does_not_escape_the_login_limit(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_attempts_per_address_per_minute=5,
                         login_max_failures=0)
    client = _client(settings)
    statuses = [_login(client, "nobody", "wrong-password",
                       **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                for i in range(8)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    r = _login(client, "nobody", "wrong-password", **{"X-Forwarded-For": "192.0.2.77"})
    assert r.status_code == 429 and _code(r) == "rate_limited"


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1), "headers": headers})


def test_forwarded_for_is_believed_only_from_trusted_proxies(tmp_path: Path) -> None:
    trusting = _settings(tmp_path, trusted_proxies="10.0.0.0/8, 192.0.2.1")
    plain = _settings(tmp_path)
    # Behind our proxies: the nearest hop that is not a proxy; what the client wrote further
    # left ("6.6.6.6") is ignored.
    assert security.client_address(
        _request("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2"), trusting) == "198.51.100.7"
    assert security.client_address(_request("192.0.2.1", "198.51.100.8"),
                                   trusting) == "198.51.100.8"
    # Straight from a client, or with no proxies configured: the socket peer.
    assert security.client_address(_request("203.0.113.9", "198.51.100.7"),
                                   trusting) == "203.0.113.9"
    assert security.client_address(_request("10.0.0.1", "198.51.100.7"), plain) == "10.0.0.1"
    with pytest.raises(InvalidInput):
        security.trusted_networks("10.0.0.0/8,not-an-ip")


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(tmp_path: Path) -> None:
    settings = _settings(tmp_path, trusted_proxies="10.0.0.1",
                         login_attempts_per_address_per_minute=2, login_max_failures=0)
    client = _client(settings, peer=("10.0.0.1", 443))
    a, b = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
    assert [_login(client, "nobody", "x-password", **a).status_code for _ in range(3)] \
        == [401, 401, 429]
    assert _login(client, "nobody", "x-password", **b).status_code == 401


def test_wrong_passwords_lock_the_account_until_unlocked(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_max_failures=3)
    create_user(settings, "root", "root-secret-1", "admin")
    create_user(settings, "anna", "anna-secret-1", "counselor")
    # Each guess from another address: the lock is per account, not per address.
    for i in range(3):
        r = _login(_client(settings, peer=(f"198.51.100.{i}", 1)), "anna", "guess-1234")
        assert r.status_code == 401 and _code(r) == "bad_credentials"
    client = _client(settings)
    r = _login(client, "anna", "anna-secret-1")  # even the right password
    assert r.status_code == 429 and _code(r) == "account_locked"
    assert r.json()["detail"]["retry_after_seconds"] > 0
    assert "锁定" in r.json()["message"]

    # The CLI, as an operator runs it, in another process.
    env = {**os.environ, "JNT_HOME": str(settings.home), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "api.cli", "users", "unlock", "anna"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "已解锁" in proc.stdout
    assert _login(client, "anna", "anna-secret-1").status_code == 200

    # Locked again, lifted by an admin over HTTP; a counselor may not.
    for _ in range(3):
        _login(client, "anna", "guess-1234")
    assert _code(_login(client, "anna", "anna-secret-1")) == "account_locked"
    root = _bearer(_login(client, "root", "root-secret-1"))
    assert client.post("/v1/auth/unlock", json={"username": "anna"}).status_code == 401
    r = client.post("/v1/auth/unlock", json={"username": "anna"}, headers=root)
    assert r.status_code == 200 and r.json() == {"username": "anna", "was_locked": True}
    anna = _bearer(_login(client, "anna", "anna-secret-1"))
    assert client.post("/v1/auth/unlock", json={"username": "anna"},
                       headers=anna).status_code == 403
    r = client.post("/v1/auth/unlock", json={"username": "ghost"}, headers=root)
    assert r.status_code == 404 and _code(r) == "user_not_found"


def test_a_right_password_clears_the_failure_count(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_max_failures=3)
    create_user(settings, "anna", "anna-secret-1", "counselor")
    client = _client(settings)
    for _ in range(2):
        _login(client, "anna", "guess-1234")
    assert _login(client, "anna", "anna-secret-1").status_code == 200
    for _ in range(2):
        _login(client, "anna", "guess-1234")
    assert _login(client, "anna", "anna-secret-1").status_code == 200


def test_a_lock_runs_out_by_itself(tmp_path: Path) -> None:
    settings = _settings(tmp_path, login_max_failures=2, login_lockout_seconds=1)
    create_user(settings, "anna", "anna-secret-1", "counselor")
    client = _client(settings)
    for _ in range(2):
        _login(client, "anna", "guess-1234")
    assert _code(_login(client, "anna", "anna-secret-1")) == "account_locked"
    time.sleep(1.2)
    assert _login(client, "anna", "anna-secret-1").status_code == 200


def test_failed_logins_are_logged_without_the_password(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(tmp_path)
    create_user(settings, "anna", "anna-secret-1", "counselor")
    client = _client(settings)
    with caplog.at_level(logging.INFO, logger="jnt.auth"):
        _login(client, "anna", "Sup3r-Secret-Guess")
    failed = [r.getMessage() for r in caplog.records if "login failed" in r.getMessage()]
    assert failed and "anna" in failed[0] and PEER[0] in failed[0]
    assert all("Sup3r-Secret-Guess" not in r.getMessage() for r in caplog.records)


# -- 2. tokens ----------------------------------------------------------------------------
def test_a_password_reset_revokes_earlier_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    create_user(settings, "root", "root-secret-1", "admin")
    client = _client(settings)
    old = _bearer(_login(client, "root", "root-secret-1"))
    assert _admin_probe(client, old) == 404
    create_user(settings, "root", "root-secret-2", "admin")
    r = client.get("/v1/jobs/no-such-job", headers=old)
    assert r.status_code == 401 and _code(r) == "token_revoked"
    new = _bearer(_login(client, "root", "root-secret-2"))
    assert _admin_probe(client, new) == 404


def test_a_role_change_or_disabling_revokes_earlier_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    create_user(settings, "root", "root-secret-1", "admin")
    client = _client(settings)
    token = _bearer(_login(client, "root", "root-secret-1"))
    create_user(settings, "root", "root-secret-1", "counselor")  # same password, new role
    create_user(settings, "root", "root-secret-1", "admin")  # and back
    assert _admin_probe(client, token) == 401

    token = _bearer(_login(client, "root", "root-secret-1"))
    set_active(settings, "root", False)
    assert _admin_probe(client, token) == 401
    set_active(settings, "root", True)  # enabling again does not revive old tokens
    assert _admin_probe(client, token) == 401
    assert _admin_probe(client, _bearer(_login(client, "root", "root-secret-1"))) == 404


def test_logout_revokes_the_presented_token(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    create_user(settings, "root", "root-secret-1", "admin")
    client = _client(settings)
    token = _bearer(_login(client, "root", "root-secret-1"))
    assert client.post("/v1/auth/logout", headers=token).status_code == 204
    r = client.get("/v1/jobs/no-such-job", headers=token)
    assert r.status_code == 401 and _code(r) == "token_revoked"
    assert client.post("/v1/auth/logout", headers=token).status_code == 401
    assert client.post("/v1/auth/logout").status_code == 401
    worker = security.session_token(settings, "a-chat-session")
    r = client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {worker}"})
    assert r.status_code == 403


def _forge(settings: Settings, subject: str, issued: int, expiry: int) -> dict[str, str]:
    """A correctly signed account token saying whatever we like (a leaked-secret stand-in)."""
    message = f"{security.ACCOUNT}.{subject}.{issued}.{expiry}"
    token = f"{message}.{security._sign(security.secret_key(settings), message)}"
    return {"Authorization": f"Bearer {token}"}


def test_token_lifetime_is_capped_by_the_server(tmp_path: Path) -> None:
    settings = _settings(tmp_path, token_max_ttl_seconds=3600, token_ttl_seconds=10**9)
    user_id = create_user(settings, "root", "root-secret-1", "admin")
    client = _client(settings)
    r = _login(client, "root", "root-secret-1")
    assert r.json()["expires_in"] == 3600  # the configured ttl is held to the cap
    now = int(time.time())
    subject = f"{user_id}-admin-0"
    assert _admin_probe(client, _forge(settings, subject, now, now + 3000)) == 404
    r = client.get("/v1/jobs/x", headers=_forge(settings, subject, now, 10**30))
    assert r.status_code == 401 and _code(r) == "invalid_token"
    r = client.get("/v1/jobs/x", headers=_forge(settings, subject, now + 86400, now + 86500))
    assert r.status_code == 401  # issued in the future
    with pytest.raises(security.Unauthorized):
        security.verify(settings, security.issue(settings, "s", "abc", ttl=10**9)[:-2] + "xx",
                        "s")
    issued = security.issue(settings, "s", "abc", ttl=10**9)
    assert int(issued.split(".")[3]) - int(issued.split(".")[2]) == 3600


def test_a_pre_upgrade_session_token_still_verifies_within_the_cap(tmp_path: Path) -> None:
    settings = _settings(tmp_path, token_max_ttl_seconds=3600)
    key = security.secret_key(settings)
    soon, late = int(time.time()) + 600, int(time.time()) + 10**6
    old = [f"s.sess1.{e}.{security._sign(key, f's.sess1.{e}')}" for e in (soon, late)]
    assert security.verify(settings, old[0], "s") == "sess1"
    with pytest.raises(security.Unauthorized):
        security.verify(settings, old[1], "s")
    account_old = f"u.1-admin.{soon}.{security._sign(key, f'u.1-admin.{soon}')}"
    with pytest.raises(security.Unauthorized):
        security.verify(settings, account_old, "u")
