"""Auditor accounts: Argon2id password hashes, nothing else about a password is ever stored."""

from __future__ import annotations

import re
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import InputError
from storage.reviewdb import AuditEntry, User, audit, now

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password")  # verified against when the user does not exist: same timing
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def add_user(s: Session, username: str, password: str, display_name: str = "", actor: str = "admin") -> User:
    if not USERNAME.match(username):
        raise InputError("用户名只能包含字母、数字、点、下划线和连字符（2–64 个字符）")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"密码至少 {MIN_PASSWORD} 个字符")
    user = s.scalar(select(User).filter_by(username=username))
    action = "user_password_changed" if user else "user_added"
    if user is None:
        user = User(username=username)
        s.add(user)
    user.password_hash = _hasher.hash(password)
    user.display_name = display_name or user.display_name or username
    user.active = True
    audit(s, actor, action, user=username)
    return user


def recent_failures(s: Session, username: str) -> int:
    since = now() - LOCKOUT
    q = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "login_failed", AuditEntry.actor == username[:64], AuditEntry.at >= since
    )
    return int(s.scalar(q) or 0)


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None. Repeated failures lock the name for a while."""
    username = username.strip()[:64]
    user = s.scalar(select(User).filter_by(username=username, active=True))
    if recent_failures(s, username) >= MAX_FAILURES:
        audit(s, username, "login_refused", reason="too_many_failures")
        return None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        audit(s, username, "login_failed")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit(s, username, "login")
    return user


def active_user(s: Session, username: str) -> User | None:
    return s.scalar(select(User).filter_by(username=username, active=True))
