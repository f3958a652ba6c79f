"""``/v1/auth``: a counselor or admin signs in for a bearer token, signs out (voiding the
account's tokens), and an admin lifts a login lock.

Guessing is held back twice: per client address (an in-process token bucket, so a flood
from one place stops before it costs an scrypt hash each) and per account (a lock after
repeated wrong passwords, stored in the row, so rotating addresses does not help).
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SettingsDep
from api.error_codes import raises
from api.schemas import LoginIn, LoginOut
from api.security import (
    ACCOUNT_AUTH,
    Admin,
    Forbidden,
    RateLimited,
    TokenBuckets,
    Unauthorized,
    account_token,
    client_address,
    identify,
)
from api.users import AccountLocked, authenticate, revoke_tokens, unlock

router = APIRouter(prefix="/auth", tags=["账号"])
log = logging.getLogger("jnt.auth")
_buckets_lock = threading.Lock()


class UnlockIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"username": "guwen"}]})

    username: str = Field(min_length=1, max_length=64)


class UnlockOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "guwen", "was_locked": True}]})

    username: str
    was_locked: bool


def _login_buckets(request: Request) -> TokenBuckets:
    """One set per app, so two apps in one process (tests) do not share their counts."""
    state = request.app.state
    with _buckets_lock:
        if not hasattr(state, "login_buckets"):
            state.login_buckets = TokenBuckets()
        return state.login_buckets


@router.post("/login", response_model=LoginOut, summary="顾问／管理员登录",
             description="用户名和密码换取账号凭证（放在 Authorization: Bearer 中）。按地址限制尝试"
                         "次数，连续输错会锁定账号。",
             openapi_extra=raises("bad_credentials", "account_locked"))
def login(body: LoginIn, request: Request, settings: SettingsDep) -> LoginOut:
    address = client_address(request, settings)
    per_minute = settings.login_attempts_per_address_per_minute
    if not _login_buckets(request).allow(f"login:{address}", per_minute):
        log.warning("login refused, too many attempts: user=%r address=%s",
                    body.username, address)
        raise RateLimited("登录尝试太频繁，请稍后再试。", code="rate_limited",
                          detail={"limit_per_minute": per_minute})
    try:
        user = authenticate(settings, body.username, body.password)
    except AccountLocked:
        log.warning("login refused, account locked: user=%r address=%s",
                    body.username, address)
        raise
    if user is None:
        # The password is never logged, not even a wrong one (it may be the right one
        # mistyped, or another account's).
        log.warning("login failed: user=%r address=%s", body.username, address)
        raise Unauthorized("用户名或密码不正确。", code="bad_credentials")
    log.info("login: user=%r address=%s", user.username, address)
    return LoginOut(token=account_token(settings, user.id, user.role, user.token_version),
                    role=user.role, expires_in=min(settings.token_ttl_seconds,
                                                   settings.token_max_ttl_seconds))


@router.post("/logout", status_code=204, response_class=Response, dependencies=[ACCOUNT_AUTH],
             summary="退出登录", description="作废这个账号此前签发的全部凭证（所有设备都会退出）。"
             "只接受账号凭证。", responses={204: {"description": "已退出"}},
             openapi_extra=raises("token_expired"))
def logout(request: Request, settings: SettingsDep) -> Response:
    """Void every token of the presented account (tokens are stateless, so one cannot be
    singled out without a list of them): signing out on one device signs out all."""
    caller = identify(request, settings)
    if caller is None:
        raise Unauthorized("请先登录。", code="auth_required")
    if caller.kind != "account":
        raise Forbidden("只有顾问和管理员账号可以退出登录。")
    revoke_tokens(settings, int(caller.subject))
    log.info("logout: user_id=%s", caller.subject)
    return Response(status_code=204)


@router.post("/unlock", response_model=UnlockOut, summary="解除账号锁定",
             description="管理员提前解除一个账号的登录锁定。只接受管理员账号。",
             openapi_extra=raises("user_not_found"))
def unlock_account(body: UnlockIn, caller: Admin, settings: SettingsDep) -> UnlockOut:
    """An admin lifts a login lock before it runs out."""
    was_locked = unlock(settings, body.username)
    log.info("account unlocked: user=%r by admin_id=%s", body.username, caller.subject)
    return UnlockOut(username=body.username, was_locked=was_locked)
