"""The review app (FastAPI, pages rendered on the server in Chinese).

Every page and image needs a signed-in auditor; every form carries a CSRF token bound to the
session. Auditors see report images through URLs of the app (packet, version, image number),
never object-store keys. The MinIO notification endpoint is the one route without a session:
it takes the bearer token MinIO is configured with instead.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware

from pipeline.errors import InputError, StorageError
from pipeline.html import evidence_name
from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS, SLOT_LABELS, TRACK_LABELS
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Report
from prescreen.settings import Settings
from review import hooks
from review.users import active_user, authenticate
from storage.objectstore import MissingObject, ObjectStore
from storage.reports import read_report, report_image
from storage.reviewdb import (
    FindingDecision,
    Packet,
    ReportVersion,
    ReviewDB,
    Status,
    audit_trail,
    decide_finding,
    decide_packet,
    decisions,
    fingerprints,
    queue,
)

log = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
BEIJING = ZoneInfo("Asia/Shanghai")
ACTION_LABELS = {
    "report_published": "发布预审报告",
    "reopened": "重新进入待审",
    "finding_confirmed": "确认问题",
    "finding_dismissed": "排除问题",
    "packet_pass": "审核通过",
    "packet_return": "退回申请人",
    "packet_escalate": "提交上级复核",
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "登录被拒（尝试过多）",
    "user_added": "添加用户",
    "user_password_changed": "修改密码",
}
TEMPLATES.env.filters["beijing"] = lambda t: t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if t else ""
TEMPLATES.env.filters["pct"] = lambda v: f"{100 * float(v):.2f}%"
TEMPLATES.env.filters["action_label"] = lambda a: ACTION_LABELS.get(a, a)
STATUS_LABELS = {
    Status.awaiting_review: "待审核",
    Status.passed: "审核通过",
    Status.returned: "已退回申请人",
    Status.escalated: "已提交上级复核",
}
DECISION_LABELS = {"confirmed": "已确认", "dismissed": "已排除"}
PACKET_DECISION_LABELS = {"pass": "审核通过", "return": "退回申请人", "escalate": "提交上级复核"}
IMAGE_NAME = re.compile(r"^(?:\d{1,4}-\d{1,5}|\d{3,5}-[A-Z_]{3,40})\.jpg$")
APP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION_HOURS = 8


class LoginRequired(Exception):
    pass


def auditor(request: Request) -> str:
    """The signed-in auditor's name; anyone else is sent to sign in."""
    username = request.session.get("user")
    if not username:
        raise LoginRequired
    with request.app.state.db.session() as s:
        if active_user(s, username) is None:  # removed or disabled since signing in
            request.session.clear()
            raise LoginRequired
    return username


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_csrf(request: Request) -> None:
    form = await request.form()
    sent, expected = str(form.get("csrf", "")), request.session.get("csrf", "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "表单已失效或来源不明，请刷新页面后重试")


User = Annotated[str, Depends(auditor)]
CSRF = Depends(checked_csrf)


def session_secret(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 600) beside a SQLite database."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value()
    url = settings.database_url
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        raise InputError("PRESCREEN_SECRET_KEY must be set when the review database is not a local SQLite file")
    path = Path(url.removeprefix("sqlite:///")).with_name("session.key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_app(
    settings: Settings | None = None,
    *,
    store: ObjectStore | None = None,
    db: ReviewDB | None = None,
    trigger: Callable[[str, str, str], str] | None = None,
) -> FastAPI:
    from prescreen import runtime

    settings = settings or Settings()
    store = store or runtime.store_for(settings)
    db = db or runtime.review_db(settings.database_url)
    app = FastAPI(title="prescreen review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="prescreen_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.state.settings, app.state.store, app.state.db = settings, store, db
    app.include_router(hooks.router(settings, trigger))

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")  # scans and names are personal data
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        )
        return response

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and request.url.path.endswith(".jpg"):
            return Response(status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.update(
            user=request.session.get("user"),
            csrf=csrf_token(request),
            flash=request.session.pop("flash", None),
            code_label=lambda c: CODE_LABELS.get(c, str(c)),
            slot_label=lambda s: SLOT_LABELS.get(Slot(s), str(s)) if s else "",
            track_label=lambda t: TRACK_LABELS.get(Track(t), str(t)),
            rec_label=lambda r: RECOMMENDATION_LABELS.get(r, str(r)),
            status_label=lambda st: STATUS_LABELS.get(st, str(st)),
            decision_label=lambda d: DECISION_LABELS.get(d, str(d)),
        )
        return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)

    # ---------------------------------------------------------------- sign in

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html.j2", next=_safe_next(next))

    @app.post("/login", dependencies=[CSRF])
    def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
        with db.session() as s:
            user = authenticate(s, username, password)
            name = user.username if user else None
        if name is None:
            return render(request, "login.html.j2", status_code=401, next=_safe_next(next), error="用户名或密码错误，或尝试次数过多")
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["user"] = name
        request.session["csrf"] = secrets.token_urlsafe(32)
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout", dependencies=[CSRF])
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ---------------------------------------------------------------- queue

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request, user: User, status: str = Status.awaiting_review, track: str = "", code: str = "") -> HTMLResponse:
        with db.session() as s:
            rows = queue(s, status=status if status != "all" else None, track=track or None, code=code or None)
        return render(
            request,
            "queue.html.j2",
            rows=rows,
            status=status,
            track=track,
            code=code,
            statuses=[("all", "全部"), *STATUS_LABELS.items()],
            tracks=[(t.value, TRACK_LABELS.get(t, t.value)) for t in Track],
            codes=[(c.value, CODE_LABELS.get(c, c.value)) for c in FindingCode],
        )

    # ---------------------------------------------------------------- packet

    def load(app_id: str) -> tuple[Packet, Report]:
        if not APP_ID.match(app_id):
            raise HTTPException(404)
        with db.session() as s:
            packet = s.get(Packet, app_id)
        if packet is None:
            raise HTTPException(404, "没有这份申请")
        try:
            return packet, read_report(store, packet.prefix, packet.latest_version)
        except MissingObject:
            raise HTTPException(404, "报告不存在") from None
        except StorageError as exc:
            log.warning("report of %s unavailable: %s", app_id, exc)
            raise HTTPException(503, "存储暂不可用，请稍后再试") from None

    @app.get("/packets/{app_id}", response_class=HTMLResponse)
    def packet_page(request: Request, app_id: str, user: User) -> HTMLResponse:
        packet, report = load(app_id)
        with db.session() as s:
            decided = decisions(s, app_id)
            trail = audit_trail(s, app_id, limit=100)
        prints = fingerprints(report)
        items = [
            {"n": i + 1, "f": f, "fp": fp, "d": decided.get(fp), "crop": evidence_name(i + 1, f) if f.bbox else None}
            for i, (f, fp) in enumerate(zip(report.findings, prints, strict=True))
        ]
        by_place: dict[tuple, list[dict]] = defaultdict(list)
        for it in items:
            by_place[(it["f"].slot, it["f"].file, it["f"].page)].append(it)
        documents = [
            {
                "index": d,
                "doc": doc,
                "file_items": by_place.get((doc.slot, doc.file, None), []),
                "pages": [{"info": info, "entries": by_place.get((doc.slot, doc.file, info.page), [])} for info in doc.pages],
            }
            for d, doc in enumerate(report.documents)
        ]
        confirmed = [it for it in items if it["d"] is not None and it["d"].decision == FindingDecision.confirmed]
        return render(
            request,
            "packet.html.j2",
            packet=packet,
            r=report,
            documents=documents,
            packet_items=[it for it in items if it["f"].file is None],
            items=items,
            undecided=sum(it["d"] is None for it in items),
            confirmed=confirmed,
            trail=trail,
            last_decision=next((e for e in trail if e.action.startswith("packet_")), None),
            packet_decisions=PACKET_DECISION_LABELS,
        )

    @app.get("/packets/{app_id}/v/{version}/{folder}/{name}")
    def packet_image(app_id: str, version: str, folder: str, name: str, user: User) -> Response:
        if folder not in ("pages", "evidence") or not IMAGE_NAME.match(name) or not APP_ID.match(app_id):
            raise HTTPException(404)
        with db.session() as s:
            packet = s.get(Packet, app_id)
            known = packet is not None and s.scalar(select(ReportVersion.id).filter_by(application_id=app_id, version=version))
        if not known:
            raise HTTPException(404)
        try:
            data = report_image(store, packet.prefix, version, folder, name)
        except (MissingObject, ValueError):
            raise HTTPException(404) from None
        except StorageError:
            raise HTTPException(503) from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})

    @app.post("/packets/{app_id}/findings/{fingerprint}", dependencies=[CSRF])
    def finding_decision(
        request: Request, app_id: str, fingerprint: str, user: User, decision: Annotated[str, Form()], comment: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            with db.session() as s:
                decide_finding(s, app_id, fingerprint, decision, comment, user)
            request.session["flash"] = f"已记录：{DECISION_LABELS.get(decision, decision)}"
        except InputError as exc:
            request.session["flash"] = f"未记录：{exc}"
        return RedirectResponse(f"/packets/{app_id}#f-{fingerprint}", status_code=303)

    @app.post("/packets/{app_id}/decision", dependencies=[CSRF])
    def packet_decision(request: Request, app_id: str, user: User, decision: Annotated[str, Form()], comment: Annotated[str, Form()] = "") -> Response:
        _packet, report = load(app_id)
        try:
            with db.session() as s:
                decided = decisions(s, app_id)
                reasons = [
                    f"{CODE_LABELS.get(f.code, f.code)}：{f.message}"
                    for f, fp in zip(report.findings, fingerprints(report), strict=True)
                    if (d := decided.get(fp)) is not None and d.decision == FindingDecision.confirmed
                ]
                decide_packet(s, app_id, decision, comment, reasons if decision == "return" else [], user)
            request.session["flash"] = f"已记录：{PACKET_DECISION_LABELS.get(decision, decision)}"
        except InputError as exc:
            request.session["flash"] = f"未记录：{exc}"
        return RedirectResponse(f"/packets/{app_id}", status_code=303)

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, user: User, application: str = "") -> HTMLResponse:
        with db.session() as s:
            trail = audit_trail(s, application or None, limit=500)
        return render(request, "audit.html.j2", trail=trail, application=application)

    return app


def _safe_next(target: str) -> str:
    """Only a path of this app (no scheme, no host, no ``//``): never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
