"""WeChat mini-program login: ``code2session`` turns a ``wx.login`` code into an openid,
and the openid is bound (as a keyed hash, never in the clear) to one chat session.

The openid, the session_key and the app secret are never logged nor stored; a log line
carries at most a short hash of the openid.

Sandbox (``JNT_WECHAT_SANDBOX=true``, off by default): the mini-program flow can be tried
locally without WeChat. A code ``sandbox-<name>`` logs in as the sandbox user ``<name>``
(the same name, the same conversation); any other code is refused. Sandbox openids carry a
prefix no real openid can have (``sandbox:``) before they are hashed, so a sandbox user can
never land in a real user's conversation. A service with the sandbox on and a real appid or
secret refuses to start, and every sandbox login is logged as a WARNING.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

import httpx
from sqlalchemy.orm import sessionmaker

from api.models import WechatBinding
from api.security import Unauthorized, secret_key
from corpus.db import Base, get_engine
from corpus.errors import JntError
from corpus.settings import Settings

log = logging.getLogger("jnt.api.wechat")
# WeChat errcodes that mean the code itself is bad (invalid, used, expired).
INVALID_CODE = {40029, 40163, 40226}
SANDBOX_CODE = re.compile(r"sandbox-([A-Za-z0-9_-]{1,64})")
SANDBOX_OPENID_PREFIX = "sandbox:"  # real openids are [A-Za-z0-9_-]: never a colon


class WechatUnavailable(JntError):
    code = "wechat_unavailable"
    status = 502


class WechatNotConfigured(JntError):
    code = "wechat_not_configured"
    status = 503


def _unavailable(reason: str) -> WechatUnavailable:
    log.warning("wechat code2session failed: %s", reason)
    return WechatUnavailable("微信登录服务暂时不可用，请稍后再试。")


class SandboxWithCredentials(JntError):
    code = "wechat_sandbox_with_credentials"
    status = 500


def check_sandbox(settings: Settings) -> None:
    """At start-up: refuse the sandbox next to real credentials (it would let anyone log
    in beside real users), and say loudly that it is on."""
    if not settings.wechat_sandbox:
        return
    if settings.wechat_appid or settings.wechat_secret:
        error = SandboxWithCredentials(
            "微信沙箱模式（JNT_WECHAT_SANDBOX）不能与真实的微信凭证（JNT_WECHAT_APPID / "
            "JNT_WECHAT_SECRET）同时配置：请关闭沙箱，或删除这两个凭证。",
            detail={"setting": "JNT_WECHAT_SANDBOX"})
        log.error("refusing to start: %s", error.message)
        raise error
    log.warning("WeChat sandbox is ON — never in production: any sandbox-<name> code "
                "logs in without WeChat (JNT_WECHAT_SANDBOX=true)")


def login_openid(settings: Settings, code: str) -> str:
    """The openid behind a ``wx.login`` code: WeChat's answer, or in the sandbox the
    sandbox user's own (prefixed) openid."""
    if not settings.wechat_sandbox:
        return code2session(settings, code)
    match = SANDBOX_CODE.fullmatch(code)
    if match is None:
        log.warning("WeChat sandbox login refused: not a sandbox-<name> code")
        raise Unauthorized("微信沙箱模式下只接受 sandbox-<名字> 形式的登录 code（名字为 1–64 个"
                           "字母、数字、_ 或 -），例如 sandbox-alice。",
                           code="wechat_sandbox_code", detail={"example": "sandbox-alice"})
    log.warning("WeChat sandbox login as %s (sandbox is ON — never in production)",
                match.group(1))
    return SANDBOX_OPENID_PREFIX + match.group(1)


def code2session(settings: Settings, code: str) -> str:
    """The openid of the user who got ``code`` from ``wx.login``."""
    if not settings.wechat_appid or not settings.wechat_secret:
        raise WechatNotConfigured("本服务尚未配置微信登录。")
    url = settings.wechat_base_url.rstrip("/") + "/sns/jscode2session"
    params = {"appid": settings.wechat_appid, "secret": settings.wechat_secret,
              "js_code": code, "grant_type": "authorization_code"}
    try:
        response = httpx.get(url, params=params, timeout=settings.wechat_timeout_seconds)
        body: Any = response.json()
    except httpx.TimeoutException:
        raise _unavailable("timeout") from None
    except httpx.HTTPError as exc:
        raise _unavailable(type(exc).__name__) from None
    except ValueError:
        raise _unavailable(f"non-JSON answer (HTTP {response.status_code})") from None
    if not isinstance(body, dict):
        raise _unavailable("unexpected answer")
    errcode = body.get("errcode") or 0
    if errcode in INVALID_CODE:
        log.info("wechat code2session: invalid code (errcode %s)", errcode)
        raise Unauthorized("微信登录凭证无效或已过期，请重新登录。", code="wechat_invalid_code")
    openid = body.get("openid")
    if errcode or not isinstance(openid, str) or not openid:
        raise _unavailable(f"errcode {errcode}")
    return openid


def openid_hash(settings: Settings, openid: str) -> str:
    """HMAC-SHA256 of the openid under the service secret (hex)."""
    return hmac.new(secret_key(settings), openid.encode("utf-8"), hashlib.sha256).hexdigest()


def binding_sessions(settings: Settings) -> sessionmaker:
    """Sessions on a database that has the bindings table, whenever the engine was built."""
    settings.ensure_home()
    engine = get_engine(settings.db_url)
    Base.metadata.create_all(engine, tables=[WechatBinding.__table__])
    return sessionmaker(engine, expire_on_commit=False)
