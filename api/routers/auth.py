"""``POST /v1/auth/login``: a counselor or admin signs in for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SettingsDep
from api.schemas import LoginIn, LoginOut
from api.security import Unauthorized, account_token
from api.users import authenticate

router = APIRouter(prefix="/auth", tags=["账号"])


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, settings: SettingsDep) -> LoginOut:
    user = authenticate(settings, body.username, body.password)
    if user is None:
        raise Unauthorized("用户名或密码不正确。", code="bad_credentials")
    return LoginOut(token=account_token(settings, user.id, user.role), role=user.role,
                    expires_in=settings.token_ttl_seconds)
