"""Who is calling: workers (signed session tokens), partner backends (API keys) and
counselor/admin accounts (signed account tokens), plus per-caller rate limits.

Tokens are ``kind.subject.issued.expiry.signature`` with an HMAC-SHA256 signature over
the rest: stateless, so every process holding the home's secret can check them without a
database round trip. ``kind`` keeps a session token from passing as an account token. The
server caps a token's life (``expiry - issued``) whatever the token says, so a leaked
secret or a bug cannot mint a token that never dies. An account token's subject carries the
account's ``token_version``; a new password, role, disabling or logout raises it, which
voids every token issued before (the account row is read on every request anyway).

The client's address is the socket peer unless that peer is a configured trusted proxy
(``JNT_TRUSTED_PROXIES``); only then is ``X-Forwarded-For`` believed, else any client could
pick a new address per request and never meet a limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep
from corpus.errors import InvalidInput, JntError
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


# A token issued this far "in the future" comes from a clock we do not share, or is forged.
CLOCK_SKEW_SECONDS = 300
_INVALID = "登录凭证无效，请重新登录或重新开始对话。"


def issue(settings: Settings, kind: str, subject: str, ttl: int | None = None) -> str:
    """A signed token; its life is ``ttl`` (default ``token_ttl_seconds``), never more than
    ``token_max_ttl_seconds``."""
    issued = int(time.time())
    life = settings.token_ttl_seconds if ttl is None else ttl
    expiry = issued + min(life, settings.token_max_ttl_seconds)
    message = f"{kind}.{subject}.{issued}.{expiry}"
    return f"{message}.{_sign(secret_key(settings), message)}"


def verify(settings: Settings, token: str, kind: str) -> str:
    """The token's subject; ``Unauthorized`` when forged, of another kind, expired, issued
    in the future or made to live longer than the server allows."""
    parts = token.split(".")
    if len(parts) == 4 and kind == SESSION:
        parts.insert(2, "")  # a legacy session token, see _signed
    if len(parts) != 5 or parts[0] != kind or (parts[2] == "" and kind != SESSION):
        raise Unauthorized(_INVALID, code="invalid_token")
    _, subject, issued, expiry, signature = parts
    expected = _sign(secret_key(settings), _signed(kind, subject, issued, expiry))
    if not hmac.compare_digest(signature, expected) or not expiry.isdigit():
        raise Unauthorized(_INVALID, code="invalid_token")
    now = time.time()
    issued = issued or str(min(int(expiry), int(now)))
    if not issued.isdigit() or (int(expiry) - int(issued) > settings.token_max_ttl_seconds
                                or int(issued) > now + CLOCK_SKEW_SECONDS):
        raise Unauthorized(_INVALID, code="invalid_token")
    if int(expiry) < now:
        raise Unauthorized("登录已过期，请重新登录或重新开始对话。", code="token_expired")
    return subject


def _signed(kind: str, subject: str, issued: str, expiry: str) -> str:
    """What the signature covers. A worker's session token from before ``issued`` was
    signed in (``s.id.expiry.sig``) still verifies, so open chats survive an upgrade; only
    its remaining life can be held to the cap. Account tokens get no such grace: without a
    ``token_version`` they could not be revoked."""
    if issued == "":
        return f"{kind}.{subject}.{expiry}"
    return f"{kind}.{subject}.{issued}.{expiry}"


def session_token(settings: Settings, session_id: str, ttl: int | None = None) -> str:
    return issue(settings, SESSION, session_id, ttl)


def account_token(settings: Settings, user_id: int, role: str, version: int,
                  ttl: int | None = None) -> str:
    """Valid while the account keeps this role and ``token_version``."""
    return issue(settings, ACCOUNT, f"{user_id}-{role}-{version}", ttl)


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
    user_id, role, version = (verify(settings, token, ACCOUNT).split("-") + ["", ""])[:3]
    from api.users import get_user

    user = get_user(settings, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or user.role != role:
        raise Unauthorized("账号不可用，请重新登录。", code="account_disabled")
    if version != str(user.token_version):
        raise Unauthorized("登录已失效（密码或权限已变更，或已退出登录），请重新登录。",
                           code="token_revoked")
    return Caller("account", user_id, role)


# -- what the OpenAPI document says about callers ------------------------------------------
# Declared with auto_error=False: they only describe the schemes in /openapi.json (and the
# /docs "Authorize" dialog); ``identify`` still decides, with its own codes and messages.
WORKER_SCHEME = HTTPBearer(
    scheme_name="WorkerSession", bearerFormat="会话凭证", auto_error=False,
    description="劳动者会话凭证：POST /v1/chat/sessions 或 POST /v1/wechat/login 返回的 token，"
                "放在 `Authorization: Bearer …` 中，只能打开自己的会话。")
ACCOUNT_SCHEME = HTTPBearer(
    scheme_name="AccountToken", bearerFormat="账号凭证", auto_error=False,
    description="就业指导员（counselor）或管理员（admin）账号凭证：POST /v1/auth/login 返回的 "
                "token，放在 `Authorization: Bearer …` 中。")
PARTNER_SCHEME = APIKeyHeader(
    name="X-API-Key", scheme_name="PartnerKey", auto_error=False,
    description="合作方后台（如微信小程序的服务端）的 API 密钥，由运维在 JNT_API_KEYS 中配置。")
Bearer = HTTPAuthorizationCredentials | None


def _declares_worker(_: Annotated[Bearer, Security(WORKER_SCHEME)]) -> None:
    """No behaviour: marks an operation as accepting a worker's session token."""


def _declares_account(_: Annotated[Bearer, Security(ACCOUNT_SCHEME)]) -> None:
    """No behaviour: marks an operation as accepting an account token."""


def _declares_partner(_: Annotated[str | None, Security(PARTNER_SCHEME)]) -> None:
    """No behaviour: marks an operation as accepting a partner's API key."""


# For routes that call ``identify`` in their body: ``dependencies=[WORKER_AUTH, …]``.
WORKER_AUTH = Depends(_declares_worker)
ACCOUNT_AUTH = Depends(_declares_account)
PARTNER_AUTH = Depends(_declares_partner)


def optional_caller(request: Request, settings: SettingsDep,
                    _w: Annotated[None, WORKER_AUTH], _a: Annotated[None, ACCOUNT_AUTH],
                    _p: Annotated[None, PARTNER_AUTH]) -> Caller | None:
    """Open endpoints that use the caller when there is one (``security`` lists ``{}``)."""
    return identify(request, settings)


def counselor(request: Request, settings: SettingsDep, _a: Annotated[None, ACCOUNT_AUTH],
              _p: Annotated[None, PARTNER_AUTH]) -> Caller:
    """Counselor endpoints: a counselor or admin account, or a partner's API key."""
    caller = identify(request, settings)
    if caller is None:
        raise Unauthorized("请先登录，或提供 API 密钥。", code="auth_required")
    if caller.kind == "worker":
        raise Forbidden("没有权限使用此功能。")
    return caller


def admin(request: Request, settings: SettingsDep, _a: Annotated[None, ACCOUNT_AUTH]) -> Caller:
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


# -- the client's address ----------------------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """``JNT_TRUSTED_PROXIES`` ("10.0.0.1,10.1.0.0/16") parsed; a bad entry is refused at
    once rather than silently trusting or ignoring it."""
    out = []
    for item in spec.split(","):
        if item.strip():
            try:
                out.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise InvalidInput(f"JNT_TRUSTED_PROXIES 中的“{item.strip()}”不是 IP 地址或网段。",
                                   code="bad_trusted_proxies") from None
    return tuple(out)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, settings: Settings) -> str:
    """The socket peer; behind trusted proxies, the nearest ``X-Forwarded-For`` hop that is
    not one of them (hops further left were written by the client and prove nothing)."""
    peer = request.client.host if request.client else "unknown"
    networks = trusted_networks(settings.trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where the proxy should have written an address
    return peer


# -- rate limits -------------------------------------------------------------------------
class TokenBuckets:
    """Per-key token buckets in this process: ``rate`` requests a minute, bursts of
    ``rate``. Used with SQLite (one home); on PostgreSQL every node draws on the shared
    buckets of ``api.rate_store`` instead, and falls back to these if the database fails."""

    MAX_KEYS = 50_000
    shared = False

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: int) -> bool:
        return self.take(key, per_minute).allowed

    def take_all(self, keys: list[tuple[str, int]]) -> list[Quota]:
        """Draw on each bucket in turn, stopping at the first refusal."""
        quotas = []
        for key, per_minute in keys:
            quotas.append(self.take(key, per_minute))
            if not quotas[-1].allowed:
                break
        return quotas

    def take(self, key: str, per_minute: int) -> Quota:
        """Draw one token; the quota says what is left and, when refused, how many seconds
        until the next token (for ``Retry-After``)."""
        if per_minute <= 0:
            return Quota(True, 0, 0, 0.0)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * per_minute / 60.0)
            allowed = tokens >= 1.0
            left = tokens - 1.0 if allowed else tokens
            self._buckets[key] = (left, now)
            if len(self._buckets) > self.MAX_KEYS:
                self._buckets.pop(next(iter(self._buckets)))
        wait = 0.0 if allowed else (1.0 - left) * 60.0 / per_minute
        return Quota(allowed, per_minute, int(left), wait)


@dataclass(frozen=True)
class Quota:
    """One bucket's answer: the limit a minute, whole requests left, seconds to wait."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float


READS = ("GET", "HEAD")


def rate_headers(quota: Quota) -> dict[str, str]:
    """What a client needs to pace itself; ``Retry-After`` (whole seconds) when refused."""
    headers = {"X-RateLimit-Limit": str(quota.limit),
               "X-RateLimit-Remaining": str(quota.remaining)}
    if not quota.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(quota.retry_after)))
    return headers


def rate_keys(request: Request, settings: Settings) -> list[tuple[str, int]]:
    """The buckets a request draws on: its address always, and its key or session when it
    presents a valid one (an invalid one is refused later by the endpoint)."""
    address = client_address(request, settings)
    keys = [(f"addr:{address}", settings.rate_limit_address_per_minute)]
    try:
        caller = identify(request, settings)
    except JntError:
        caller = None
    if caller is not None and caller.kind == "partner":
        # A partner's backend speaks for many workers from one address.
        keys = [(f"key:{caller.subject}", settings.rate_limit_key_per_minute)]
    elif caller is not None and caller.kind == "worker" and request.method not in READS:
        # A session pays for what costs (answers, writes); reading its history is free.
        keys.append((f"session:{caller.subject}", settings.rate_limit_session_per_minute))
    return keys
