"""What every page of the review app shares: templates (always autoescaped), labels, the signed-in
account and its role, and the checks on every form post (CSRF token, no duplicate fields).

A route names who may use it by the type of its ``user`` argument: ``Reviewer`` (auditors and
leads: packets, decisions), ``Lead`` (statistics, exports, escalated packets), ``Admin``
(accounts) or ``LogReader`` (the audit log: leads and admins). Anyone else signed in gets 403;
nobody signed in is sent to sign in. ``dependencies=[FORM]`` on a POST route checks its form;
``render`` fills in what the base template needs.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import UploadFile

from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS, SLOT_LABELS, TRACK_LABELS, without_direction_controls
from pipeline.manifest import Slot, Track
from review.users import session_user
from storage.reviewdb import ReviewDB, Role, Status

TEMPLATE_DIR = Path(__file__).parent / "templates"
# autoescape=True, not select_autoescape(): every template is escaped whatever its file name
# finalize: text shown in the order it was typed (no right-to-left overrides), see without_direction_controls
TEMPLATES = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, finalize=without_direction_controls)
)
BEIJING = ZoneInfo("Asia/Shanghai")
SESSION_SECONDS = 8 * 3600  # absolute: counted from signing in, never extended

ACTION_LABELS = {
    "report_published": "发布预审报告",
    "reopened": "重新进入待审",
    "finding_confirmed": "确认问题",
    "finding_dismissed": "排除问题",
    "packet_pass": "审核通过",
    "packet_return": "退回申请人",
    "packet_escalate": "提交上级复核",
    "login": "登录",
    "logout": "退出登录（结束全部会话）",
    "login_failed": "登录失败（汇总）",
    "login_refused": "登录被拒（尝试过多）",
    "user_added": "添加用户",
    "user_password_changed": "修改密码",
    "user_disabled": "停用用户",
    "user_role_changed": "更改用户角色",
    "export": "导出审核结论",
}
ROLE_LABELS = {Role.auditor: "审核员", Role.lead: "审核组长", Role.admin: "系统管理员"}
WHO_MAY = {  # what the navigation shows each role; the routes enforce the same
    "packets": {Role.auditor, Role.lead},
    "stats": {Role.lead},
    "export": {Role.lead},
    "audit": {Role.lead, Role.admin},
    "users": {Role.admin},
}
STATUS_LABELS = {
    Status.awaiting_review: "待审核",
    Status.passed: "审核通过",
    Status.returned: "已退回申请人",
    Status.escalated: "已提交上级复核",
}
DECISION_LABELS = {"confirmed": "已确认", "dismissed": "已排除"}
PACKET_DECISION_LABELS = {"pass": "审核通过", "return": "退回申请人", "escalate": "提交上级复核"}


def _detail(value: Any) -> str:
    """An audit entry's detail value as text (the template escapes it)."""
    if isinstance(value, dict):
        return "，".join(f"{k}={_detail(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "；".join(_detail(v) for v in value)
    return str(value)


_env = TEMPLATES.env
_env.filters["beijing"] = lambda t: t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if t else ""
_env.filters["pct"] = lambda v: f"{100 * float(v):.2f}%"
_env.filters["action_label"] = lambda a: ACTION_LABELS.get(a, a)
_env.filters["detail"] = _detail
_env.globals.update(
    code_label=lambda c: CODE_LABELS.get(c, str(c)),
    slot_label=lambda s: SLOT_LABELS.get(Slot(s), str(s)) if s else "",
    track_label=lambda t: TRACK_LABELS.get(Track(t), str(t)),
    rec_label=lambda r: RECOMMENDATION_LABELS.get(r, str(r)),
    status_label=lambda st: STATUS_LABELS.get(st, str(st)),
    decision_label=lambda d: DECISION_LABELS.get(d, str(d)),
    role_label=lambda r: ROLE_LABELS.get(r, str(r)),
)


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    role = getattr(request.state, "role", None)
    ctx.update(
        user=getattr(request.state, "user", None),
        role=role,
        may={what for what, roles in WHO_MAY.items() if role in roles},
        csrf=csrf_token(request),
        flash=request.session.pop("flash", None),
    )
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)


def db_of(request: Request) -> ReviewDB:
    return request.app.state.db


def client_address(request: Request) -> str:
    """The peer's address (uvicorn rewrites it from X-Forwarded-For only for a trusted proxy)."""
    return request.client.host if request.client else "unknown"


# ---------------------------------------------------------------- sessions


class LoginRequired(Exception):
    pass


def start_session(request: Request, username: str, epoch: int) -> None:
    """A fresh session on sign-in (no fixation): the account's epoch and the time it began."""
    request.session.clear()
    request.session.update(user=username, epoch=epoch, iat=int(time.time()), csrf=secrets.token_urlsafe(32))


def auditor(request: Request) -> str:
    """The signed-in account's name (its role goes to ``request.state.role``). A session ends at 8 h
    from sign-in, and at once when its account signs out, gets a new password or is disabled (the
    epoch no longer matches)."""
    username, epoch, iat = (request.session.get(k) for k in ("user", "epoch", "iat"))
    if not isinstance(username, str) or not isinstance(iat, int) or not 0 <= time.time() - iat < SESSION_SECONDS:
        _end(request)
    with db_of(request).session() as s:
        account = session_user(s, username, epoch)
        if account is None:
            _end(request)
        role = account.role
    request.state.user, request.state.role = username, role
    return username


def _end(request: Request) -> None:
    request.session.clear()
    raise LoginRequired


def role_in(*roles: Role) -> Callable[..., str]:
    """A dependency: the signed-in account's name if its role is one of ``roles``, else 403. The
    role is read from the database on every request: a change applies at once."""

    def allowed(request: Request, username: Annotated[str, Depends(auditor)]) -> str:
        if request.state.role not in roles:
            raise HTTPException(403, "您的角色无权使用此页面")
        return username

    return allowed


Reviewer = Annotated[str, Depends(role_in(Role.auditor, Role.lead))]
Lead = Annotated[str, Depends(role_in(Role.lead))]
Admin = Annotated[str, Depends(role_in(Role.admin))]
LogReader = Annotated[str, Depends(role_in(Role.lead, Role.admin))]


def role_of(request: Request) -> str:
    """The role of the account signed in for this request (after one of the dependencies above)."""
    return request.state.role


# ---------------------------------------------------------------- forms


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def same_secret(sent: str, expected: str) -> bool:
    """Constant-time comparison of bytes: any text (non-ASCII included) compares, never raises."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


async def checked_form(request: Request) -> None:
    """Every form post: one value per field (400 otherwise) and the session's CSRF token (403)."""
    form = await request.form()
    names = [name for name, _ in form.multi_items()]
    if len(names) != len(set(names)):
        raise HTTPException(400, "表单字段重复，已拒绝")
    if any(isinstance(v, UploadFile) for v in form.values()):
        raise HTTPException(400, "此处不接受文件")
    sent, expected = form.get("csrf"), request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected or not same_secret(sent, expected):
        raise HTTPException(403, "表单已失效或来源不明，请刷新页面后重试")


FORM = Depends(checked_form)
