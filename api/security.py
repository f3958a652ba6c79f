"""Who is calling: workers (signed session tokens), partner backends (API keys) and
counselor/admin accounts (signed account tokens), plus per-caller rate limits.

Tokens are ``kind.subject.expiry.signature`` with an HMAC-SHA256 signature over
``kind.subject.expiry``: stateless, so every process holding the home's secret can check
them without a database round trip. ``kind`` keeps a session token from passing as an
account token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from api.deps import SettingsDep
from corpus.errors import JntError
from corpus.settings import Settings

SESSION, ACCOUNT = "s", "u"


class Unauthorized(JntError):
    code = "unauthorized"
    status = 401


class Forbidden(JntError):
    code = "forbidden"
    status = 403


class RateLimited(JntError):
    code = "rate_limited"
    status = 429


# -- the secret --------------------------------------------------------------------------
_secrets: dict[Path, bytes] = {}
_secret_lock = threading.Lock()


def secret_key(settings: Settings) -> bytes:
    """``JNT_SECRET_KEY``, else ``$JNT_HOME/secret_key``, created once with mode 0600.

    Created by hard-linking a finished temporary file, so a process racing another never
    reads a half-written key: whoever links first wins and the others read that.
    """
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = (settings.ensure_home() / "secret_key").resolve()
    with _secret_lock:
        if path not in _secrets:
            if not path.exists():
                tmp = path.with_name(f".secret_key.{uuid.uuid4().hex}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            _secrets[path] = path.read_text(encoding="utf-8").strip().encode("utf-8")
        return _secrets[path]


# -- tokens ------------------------------------------------------------------------------
def _sign(key: bytes, message: str) -> str:
    mac = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def issue(settings: Settings, kind: str, subject: str, ttl: int | None = None) -> str:
    expiry = int(time.time()) + (settings.token_ttl_seconds if ttl is None else ttl)
    message = f"{kind}.{subject}.{expiry}"
    return f"{message}.{_sign(secret_key(settings), message)}"


def verify(settings: Settings, token: str, kind: str) -> str:
    """The token's subject; ``Unauthorized`` when forged, of another kind or expired."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != kind:
        raise Unauthorized("登录凭证无效，请重新登录或重新开始对话。", code="invalid_token")
    _, subject, expiry, signature = parts
    expected = _sign(secret_key(settings), f"{kind}.{subject}.{expiry}")
    if not hmac.compare_digest(signature, expected) or not expiry.isdigit():
        raise Unauthorized("登录凭证无效，请重新登录或重新开始对话。", code="invalid_token")
    if int(expiry) < time.time():
        raise Unauthorized("登录已过期，请重新登录或重新开始对话。", code="token_expired")
    return subject


def session_token(settings: Settings, session_id: str, ttl: int | None = None) -> str:
    return issue(settings, SESSION, session_id, ttl)


def account_token(settings: Settings, user_id: int, role: str, ttl: int | None = None) -> str:
    return issue(settings, ACCOUNT, f"{user_id}-{role}", ttl)


# -- API keys ----------------------------------------------------------------------------
def api_keys(settings: Settings) -> dict[str, str]:
    """``name → key`` from ``JNT_API_KEYS="name:key,name2:key2"``."""
    out: dict[str, str] = {}
    for pair in settings.api_keys.split(","):
        name, _, key = pair.strip().partition(":")
        if name and key:
            out[name.strip()] = key.strip()
    return out


def api_key_name(settings: Settings, presented: str) -> str | None:
    """The partner a key belongs to; every key is compared so timing tells nothing."""
    found = None
    for name, key in api_keys(settings).items():
        if hmac.compare_digest(presented.encode("utf-8"), key.encode("utf-8")):
            found = name
    return found


# -- the caller --------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    kind: str  # "worker" | "partner" | "account"
    subject: str  # session id, API key name, or user id
    role: str | None = None  # "counselor" | "admin" for accounts


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(request: Request, settings: Settings) -> Caller | None:
    """The caller, ``None`` if anonymous; a bad token or key is refused, never ignored."""
    key = request.headers.get("x-api-key")
    if key is not None:
        name = api_key_name(settings, key)
        if name is None:
            raise Unauthorized("API 密钥无效。", code="invalid_api_key")
        return Caller("partner", name)
    token = _bearer(request)
    if token is None:
        return None
    if token.startswith(f"{SESSION}."):
        return Caller("worker", verify(settings, token, SESSION))
    subject = verify(settings, token, ACCOUNT)
    user_id, _, role = subject.partition("-")
    from api.users import get_user

    user = get_user(settings, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or user.role != role:
        raise Unauthorized("账号不可用，请重新登录。", code="account_disabled")
    return Caller("account", user_id, role)


def optional_caller(request: Request, settings: SettingsDep) -> Caller | None:
    return identify(request, settings)


def counselor(request: Request, settings: SettingsDep) -> Caller:
    """Counselor endpoints: a counselor or admin account, or a partner's API key."""
    caller = identify(request, settings)
    if caller is None:
        raise Unauthorized("请先登录，或提供 API 密钥。", code="auth_required")
    if caller.kind == "worker":
        raise Forbidden("没有权限使用此功能。")
    return caller


def admin(request: Request, settings: SettingsDep) -> Caller:
    """Administrative endpoints: an admin account, nothing else."""
    caller = identify(request, settings)
    if caller is None:
        raise Unauthorized("请先以管理员身份登录。", code="auth_required")
    if caller.kind != "account" or caller.role != "admin":
        raise Forbidden("需要管理员权限。")
    return caller


AnyCaller = Annotated[Caller | None, Depends(optional_caller)]
Counselor = Annotated[Caller, Depends(counselor)]
Admin = Annotated[Caller, Depends(admin)]


# -- rate limits -------------------------------------------------------------------------
class TokenBuckets:
    """Per-key token buckets in this process: ``rate`` requests a minute, bursts of
    ``rate``. In-process on purpose: a limit per process is a cheap first line; the
    deployment's proxy enforces the global one."""

    MAX_KEYS = 50_000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: int) -> bool:
        if per_minute <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * per_minute / 60.0)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self.MAX_KEYS:
                self._buckets.pop(next(iter(self._buckets)))
            return allowed


def rate_keys(request: Request, settings: Settings) -> list[tuple[str, int]]:
    """The buckets a request draws on: its address always, and its key or session when it
    presents a valid one (an invalid one is refused later by the endpoint)."""
    address = request.client.host if request.client else "unknown"
    keys = [(f"addr:{address}", settings.rate_limit_address_per_minute)]
    try:
        caller = identify(request, settings)
    except JntError:
        caller = None
    if caller is not None and caller.kind == "partner":
        # A partner's backend speaks for many workers from one address.
        keys = [(f"key:{caller.subject}", settings.rate_limit_key_per_minute)]
    elif caller is not None and caller.kind == "worker":
        keys.append((f"session:{caller.subject}", settings.rate_limit_session_per_minute))
    return keys
