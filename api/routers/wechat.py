"""WeChat mini-program login: ``POST /v1/wechat/login {code}`` answers a worker session
token; the same WeChat user gets the same conversation back on every login."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from api import wechat
from api.deps import SettingsDep, get_conversations
from api.error_codes import raises
from api.fields import Line
from api.models import WechatBinding
from api.schemas import SessionOut, Strict
from api.security import session_token
from assistant.dialogue import Conversations
from assistant.store import ChatSession
from corpus.settings import Settings

router = APIRouter(prefix="/wechat", tags=["微信小程序"])
log = logging.getLogger("jnt.api.wechat")
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]


class WechatLoginIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "0a1B2c3D4e5F6g"}]})

    code: Line = Field(min_length=1, max_length=128, description="小程序 wx.login 得到的 code")


def _bound_session(settings: Settings, conversations: Conversations, key: str) -> str:
    """The session bound to ``key`` (an openid hash), created and bound the first time."""
    db = wechat.binding_sessions(settings)
    with db() as session:
        binding = session.get(WechatBinding, key)
        if binding is not None and session.get(ChatSession, binding.session_id) is not None:
            return binding.session_id
    session_id = conversations.start(None, channel="wechat")
    try:
        with db() as session, session.begin():
            binding = session.get(WechatBinding, key)
            if binding is None:
                session.add(WechatBinding(openid_hash=key, session_id=session_id))
            else:  # its session was deleted: bind the new one
                binding.session_id = session_id
    except IntegrityError:  # a concurrent first login bound another session: use that one
        with db() as session:
            binding = session.get(WechatBinding, key)
            if binding is None:
                raise
            return binding.session_id
    return session_id


@router.post("/login", response_model=SessionOut, summary="微信小程序登录",
             description="用 wx.login 得到的 code 换取劳动者会话凭证；同一微信用户每次登录"
                         "回到同一个会话。不需要凭证。",
             openapi_extra=raises("wechat_invalid_code", "wechat_sandbox_code",
                                  "wechat_unavailable",
                                  "wechat_not_configured"))
def login(body: WechatLoginIn, settings: SettingsDep,
          conversations: ConversationsDep) -> SessionOut:
    openid = wechat.login_openid(settings, body.code)
    key = wechat.openid_hash(settings, openid)
    session_id = _bound_session(settings, conversations, key)
    log.info("wechat login %s… → session %s", key[:8], session_id)
    return SessionOut(session_id=session_id, token=session_token(settings, session_id),
                      expires_in=settings.token_ttl_seconds)
