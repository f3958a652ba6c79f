"""WeChat mini-program login: ``code2session`` turns a ``wx.login`` code into an openid,
and the openid is bound (as a keyed hash, never in the clear) to one chat session.

The openid, the session_key and the app secret are never logged nor stored; a log line
carries at most a short hash of the openid.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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


class WechatUnavailable(JntError):
    code = "wechat_unavailable"
    status = 502


class WechatNotConfigured(JntError):
    code = "wechat_not_configured"
    status = 503


def _unavailable(reason: str) -> WechatUnavailable:
    log.warning("wechat code2session failed: %s", reason)
    return WechatUnavailable("微信登录服务暂时不可用，请稍后再试。")


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
