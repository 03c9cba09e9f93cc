"""Signing in and out.

A sign-in is claimed against the throttle (``storage.throttle``) before its password is checked,
so parallel guesses get one Argon2 check, not one each; failures are summarised in the audit log.
Signing out ends every session of the account (its session epoch moves on).
"""

from __future__ import annotations

import math
import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from review.users import check_password, end_sessions, password_hash_of, session_user, signed_in
from review.web import FORM, client_address, db_of, render, start_session
from storage import throttle
from storage.reviewdb import ReviewDB, Role, now

router = APIRouter()
MAX_NEXT = 2000
URL_CHARS = re.compile(r"^/[A-Za-z0-9\-._~/?=&%:@+,;]*$")  # a path and query as the app's own links are written


def safe_next(target: str) -> str:
    """Only a path of this app (no scheme, no host, no ``//``, nothing but URL characters): never an
    open redirect, and nothing for a crafted link to carry."""
    if len(target) > MAX_NEXT or not URL_CHARS.match(target) or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html.j2", next=safe_next(next))


@router.post("/login", dependencies=[FORM])
def login(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    db, address, target = db_of(request), client_address(request), safe_next(next)
    name = throttle.normal_name(username)
    if not name or not password:
        return render(request, "login.html.j2", status_code=401, next=target, error="请输入用户名和密码")
    with db.session() as s:  # committed before the password check: parallel attempts see this one
        claim = throttle.claim(s, name, address)
        stored = password_hash_of(s, name) if claim.allowed else None
    if not claim.allowed:
        _summarise(db)
        wait = max(1, math.ceil((claim.retry_at - now()).total_seconds())) if claim.retry_at else 1
        response = render(request, "login.html.j2", status_code=429, next=target, error=f"尝试过于频繁，请 {wait} 秒后再试")
        response.headers["Retry-After"] = str(wait)
        return response
    good = check_password(stored, password)
    with db.session() as s:
        verified = signed_in(s, name, password, stored) if good and stored else None
        if verified:
            throttle.succeeded(s, name, address)
        else:
            throttle.failed(s, name, address)
    _summarise(db)
    if verified is None:
        return render(request, "login.html.j2", status_code=401, next=target, error="用户名或密码错误")
    start_session(request, verified.username, verified.session_epoch)
    if target == "/" and verified.role == Role.admin:
        target = "/users"  # the queue is not an admin's page
    return RedirectResponse(target, status_code=303)


def _summarise(db: ReviewDB) -> None:
    with db.session() as s:
        throttle.summarise(s)


@router.post("/logout", dependencies=[FORM])
def logout(request: Request) -> Response:
    """Ends every session of the account, on every browser."""
    username = request.session.get("user")
    if isinstance(username, str):
        with db_of(request).session() as s:
            if session_user(s, username, request.session.get("epoch")) is not None:
                end_sessions(s, username)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
