"""Counselor and administrator accounts: scrypt-hashed passwords (stdlib, per-user salt),
token revocation and the lock after repeated wrong passwords.

``create_user`` is what a CLI command or a test calls; the service only authenticates.
Anything that changes who an account is (password, role, disabled) raises its
``token_version``, so tokens issued before stop working. The failed-login count and the
lock live in the row, so every worker process and ``jnt users unlock`` see the same state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from sqlalchemy import Table, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.models import ROLES, User, utc_now
from corpus.db import Base, get_engine
from corpus.errors import InvalidInput, JntError, NotFound
from corpus.settings import Settings

_N, _R, _P = 2**14, 8, 1
MAX_PASSWORD = 256


class AccountLocked(JntError):
    code = "account_locked"
    status = 429


def user_sessions(settings: Settings, *tables: Table) -> sessionmaker:
    """Sessions on a database that has the users table and ``tables``, whenever the engine
    was built."""
    settings.ensure_home()
    engine = get_engine(settings.db_url)
    Base.metadata.create_all(engine, tables=[User.__table__, *tables])
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
    """Add an account (or reset its password and role, which voids its earlier tokens and
    lifts a lock: whoever sets a password is in charge of the account); returns its id."""
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
            user = User(username=username, password_hash="", role=role, token_version=0)
            db.add(user)
        else:  # a new password (and maybe role): every token issued before is void
            user.token_version = User.token_version + 1  # in SQL: no lost increment
        user.password_hash, user.role, user.active = hash_password(password), role, True
        user.failed_logins, user.failed_since, user.locked_until = 0, None, None
        db.flush()
        return user.id


def authenticate(settings: Settings, username: str, password: str) -> User | None:
    """The account, or ``None`` for a wrong name or password; ``AccountLocked`` while the
    account is locked, checked before the password so a locked account answers nothing
    about guesses. A wrong password counts toward the lock, a right one clears the count."""
    with user_sessions(settings)() as db:
        user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(password, _DUMMY)
        return None
    now = utc_now()
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until - now)
    if verify_password(password, user.password_hash):
        if user.failed_logins or user.locked_until is not None:
            _update(settings, user.id, failed_logins=0, failed_since=None, locked_until=None)
        return user
    _count_failure(settings, user.id, now)
    return None


def _locked(remaining: dt.timedelta) -> AccountLocked:
    seconds = math.ceil(remaining.total_seconds())
    return AccountLocked(f"密码错误次数过多，账号已暂时锁定，请 {max(1, math.ceil(seconds / 60))} "
                         "分钟后再试或联系管理员解锁。", detail={"retry_after_seconds": seconds})


def _count_failure(settings: Settings, user_id: int, now: dt.datetime) -> None:
    """One more wrong password in the window (a new window when the last one ran out);
    at ``login_max_failures`` (0: never) the account locks. Plain UPDATEs, which read and
    write the row in one step, so parallel guesses from several processes all count."""
    window = dt.timedelta(seconds=settings.login_failure_window_seconds)
    stale = or_(User.failed_since.is_(None), User.failed_since < now - window)
    with user_sessions(settings)() as db, db.begin():
        db.execute(update(User).where(User.id == user_id).values(
            failed_logins=case((stale, 1), else_=User.failed_logins + 1),
            failed_since=case((stale, now), else_=User.failed_since)))
        if settings.login_max_failures > 0:
            db.execute(update(User).where(User.id == user_id,
                                          User.failed_logins >= settings.login_max_failures)
                       .values(locked_until=now + dt.timedelta(
                                   seconds=settings.login_lockout_seconds),
                               failed_logins=0, failed_since=None))


def _update(settings: Settings, user_id: int, **values: object) -> None:
    with user_sessions(settings)() as db, db.begin():
        user = db.get(User, user_id)
        if user is not None:
            for name, value in values.items():
                setattr(user, name, value)


def _by_name(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有账号 {username}。", code="user_not_found",
                       detail={"username": username})
    return user


def unlock(settings: Settings, username: str) -> bool:
    """Lift a lock and forget the failures; whether the account was locked."""
    with user_sessions(settings)() as db, db.begin():
        user = _by_name(db, username)
        was_locked = user.locked_until is not None and user.locked_until > utc_now()
        user.failed_logins, user.failed_since, user.locked_until = 0, None, None
        return was_locked


def set_active(settings: Settings, username: str, active: bool) -> None:
    """Enable or disable an account; disabling also voids its tokens for good, so enabling
    it again does not bring them back."""
    with user_sessions(settings)() as db, db.begin():
        user = _by_name(db, username)
        if user.active and not active:
            user.token_version = User.token_version + 1
        user.active = active


def revoke_tokens(settings: Settings, user_id: int) -> None:
    """Void every token the account holds (logout)."""
    with user_sessions(settings)() as db, db.begin():
        db.execute(update(User).where(User.id == user_id)
                   .values(token_version=User.token_version + 1))


def get_user(settings: Settings, user_id: int) -> User | None:
    with user_sessions(settings)() as db:
        return db.get(User, user_id)
