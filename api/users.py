"""Counselor and administrator accounts: scrypt-hashed passwords (stdlib, per-user salt).

``create_user`` is what a CLI command or a test calls; the service only authenticates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.models import ROLES, User
from corpus.db import Base, get_engine
from corpus.errors import InvalidInput
from corpus.settings import Settings

_N, _R, _P = 2**14, 8, 1
MAX_PASSWORD = 256


def user_sessions(settings: Settings) -> sessionmaker:
    """Sessions on a database that has the service tables, whenever the engine was built."""
    settings.ensure_home()
    engine = get_engine(settings.db_url)
    Base.metadata.create_all(engine, tables=[User.__table__])
    return sessionmaker(engine, expire_on_commit=False)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt),
                                   n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


# A hash to check against when the user does not exist, so timing does not tell.
_DUMMY = hash_password(secrets.token_hex(8))


def create_user(settings: Settings, username: str, password: str, role: str) -> int:
    """Add an account (or reset its password and role); returns its id."""
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise InvalidInput("用户名不能为空，且不超过 64 个字符。", code="bad_username")
    if role not in ROLES:
        raise InvalidInput(f"角色应为 {' 或 '.join(ROLES)}。", code="bad_role",
                           detail={"role": role})
    if len(password or "") < 8 or len(password) > MAX_PASSWORD:
        raise InvalidInput("密码至少 8 个字符。", code="weak_password")
    with user_sessions(settings)() as db, db.begin():
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, password_hash="", role=role)
            db.add(user)
        user.password_hash, user.role, user.active = hash_password(password), role, True
        db.flush()
        return user.id


def authenticate(settings: Settings, username: str, password: str) -> User | None:
    with user_sessions(settings)() as db:
        user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(password, _DUMMY)
        return None
    return user if verify_password(password, user.password_hash) else None


def get_user(settings: Settings, user_id: int) -> User | None:
    with user_sessions(settings)() as db:
        return db.get(User, user_id)
