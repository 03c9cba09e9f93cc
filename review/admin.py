"""``/users``: accounts for admins — list them, add one (or give one a new password), change a role,
disable one (its sessions end at once). An admin cannot demote or disable the account they are
signed in with (``prescreen user`` on the server can always)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.errors import InputError
from review.users import add_user, disable_user, list_users, set_role
from review.web import FORM, ROLE_LABELS, Admin, db_of, render
from storage.reviewdb import Role

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin) -> HTMLResponse:
    with db_of(request).session() as s:
        accounts = list_users(s)
    return render(request, "users.html.j2", accounts=accounts, roles=list(ROLE_LABELS.items()))


def _done(request: Request, message: str) -> Response:
    request.session["flash"] = message
    return RedirectResponse("/users", status_code=303)


@router.post("/users", dependencies=[FORM])
def add_account(
    request: Request,
    user: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()] = Role.auditor,
    display_name: Annotated[str, Form()] = "",
) -> Response:
    if username == user and role != Role.admin:
        return _done(request, "未记录：不能降低自己账户的角色")
    try:
        with db_of(request).session() as s:
            add_user(s, username, password, display_name.strip()[:128], actor=user, role=role)
    except InputError as exc:
        return _done(request, f"未记录：{exc}")
    return _done(request, f"已保存账户 {username}（{ROLE_LABELS.get(Role(role), role)}）")


@router.post("/users/{username}/role", dependencies=[FORM])
def change_role(request: Request, username: str, user: Admin, role: Annotated[str, Form()]) -> Response:
    if username == user:
        return _done(request, "未记录：不能更改自己账户的角色")
    try:
        with db_of(request).session() as s:
            set_role(s, username, role, actor=user)
    except InputError as exc:
        return _done(request, f"未记录：{exc}")
    return _done(request, f"已将 {username} 设为{ROLE_LABELS.get(Role(role), role)}")


@router.post("/users/{username}/disable", dependencies=[FORM])
def disable_account(request: Request, username: str, user: Admin) -> Response:
    if username == user:
        return _done(request, "未记录：不能停用自己的账户")
    try:
        with db_of(request).session() as s:
            disable_user(s, username, actor=user)
    except InputError as exc:
        return _done(request, f"未记录：{exc}")
    return _done(request, f"已停用 {username}，其所有会话已结束")
