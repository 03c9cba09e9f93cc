"""Auditor accounts: Argon2id password hashes (nothing else about a password is ever stored) and a
session epoch per account, raised to end every session of the account at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import InputError
from storage.reviewdb import Role, User, audit

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password")  # verified against when the user does not exist: same timing
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # Argon2 hashes any length; a megabyte "password" is only a way to burn CPU


def add_user(s: Session, username: str, password: str, display_name: str = "", actor: str = "admin", role: str | None = None) -> User:
    """Add an account (an auditor unless ``role`` says otherwise), or give one a new password (which
    ends its sessions) and, when ``role`` is given, that role."""
    if role is not None and role not in Role.__members__:
        raise InputError(f"未知角色 {role!r}（可选：{', '.join(Role)}）")
    if not USERNAME.match(username):
        raise InputError("用户名只能包含字母、数字、点、下划线和连字符（2–64 个字符）")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"密码须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符")
    user = s.scalar(select(User).filter_by(username=username))
    action = "user_password_changed" if user else "user_added"
    if user is None:
        user = User(username=username, session_epoch=0)
        s.add(user)
    else:
        user.session_epoch += 1
    user.password_hash = _hasher.hash(password)
    user.display_name = display_name or user.display_name or username
    user.active = True
    previous_role = user.role
    user.role = role or user.role or Role.auditor
    audit(s, actor, action, user=username, role=user.role)
    if action == "user_password_changed" and previous_role != user.role:
        audit(s, actor, "user_role_changed", user=username, role=user.role, previous=previous_role)
    return user


def set_role(s: Session, username: str, role: str, actor: str = "admin") -> User:
    """Give an account another role; it applies from the account's next request."""
    if role not in Role.__members__:
        raise InputError(f"未知角色 {role!r}（可选：{', '.join(Role)}）")
    user = s.scalar(select(User).filter_by(username=username).with_for_update())
    if user is None:
        raise InputError(f"no account named {username!r}")
    if user.role != role:
        audit(s, actor, "user_role_changed", user=username, role=role, previous=user.role)
        user.role = role
    return user


def disable_user(s: Session, username: str, actor: str = "admin") -> User:
    """The account can no longer sign in and its open sessions end now; ``add`` enables it again."""
    user = s.scalar(select(User).filter_by(username=username))
    if user is None:
        raise InputError(f"no account named {username!r}")
    user.active = False
    user.session_epoch += 1
    audit(s, actor, "user_disabled", user=username)
    return user


def end_sessions(s: Session, username: str) -> None:
    """Sign out everywhere: every session of the account stops working."""
    user = s.scalar(select(User).filter_by(username=username).with_for_update())
    if user is not None:
        user.session_epoch += 1
        audit(s, username, "logout")


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    active: bool
    created_at: datetime
    role: str


def list_users(s: Session) -> list[Account]:
    return [Account(u.username, u.display_name, u.active, u.created_at, u.role) for u in s.scalars(select(User).order_by(User.username))]


@dataclass(frozen=True)
class Verified:
    username: str
    session_epoch: int
    role: str


def password_hash_of(s: Session, username: str) -> str | None:
    user = s.scalar(select(User).filter_by(username=username, active=True))
    return user.password_hash if user else None


def check_password(stored_hash: str | None, password: str) -> bool:
    """Argon2 verification; an unknown name costs the same as a known one."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        _hasher.verify(stored_hash or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def signed_in(s: Session, username: str, password: str, stored_hash: str) -> Verified | None:
    """After a good password: the account as it is now (it may have been disabled or given a new
    password meanwhile), with the hash upgraded if Argon2's parameters changed."""
    user = s.scalar(select(User).filter_by(username=username, active=True).with_for_update())
    if user is None or user.password_hash != stored_hash:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit(s, username, "login")
    return Verified(user.username, user.session_epoch, user.role)


def session_user(s: Session, username: str, epoch: object) -> User | None:
    """The active account whose current session epoch the session carries; None otherwise."""
    user = s.scalar(select(User).filter_by(username=username, active=True))
    return user if user is not None and isinstance(epoch, int) and user.session_epoch == epoch else None
