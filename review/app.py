"""The review app (FastAPI, pages rendered on the server in Chinese).

Every page and image needs a signed-in account whose role may use it (``review.web``); every
form carries a CSRF token bound to the session. Auditors see report images through URLs of the app (packet, version, image number),
never object-store keys. The MinIO notification endpoint is the one route without a session:
it takes the bearer token MinIO is configured with instead.

Routes live in their modules (``auth``, ``packets``, ``stats``, ``export``, ``audit``, ``admin``,
``hooks``) and share ``review.web``; a new page is a router included below.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from pipeline.errors import ConfigError
from prescreen.settings import MIN_SECRET_BYTES, Settings
from review import admin, audit, auth, export, hooks, packets, stats
from review.web import SESSION_SECONDS, LoginRequired
from storage.migrate import audit_log_powers
from storage.objectstore import ObjectStore
from storage.reviewdb import ReviewDB

STYLESHEET = Path(__file__).parent / "static" / "review.css"
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def session_secret(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 600) beside a SQLite database.
    At least 32 bytes, or the app does not start."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(f"PRESCREEN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
        return key
    url = settings.database_url
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        raise ConfigError("PRESCREEN_SECRET_KEY must be set when the review database is not a local SQLite file")
    return key_file(Path(url.removeprefix("sqlite:///")).with_name("session.key"))


def key_file(path: Path) -> str:
    """Read the key at ``path``, creating it first if there is none: written completely to a
    temporary file (mode 600), then linked into place, so no reader ever sees a partial key and
    two processes starting together end up with the same one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session.key.")  # mode 600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # atomic, and never replaces a key another process put there first
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"the session key {path} is readable by others: chmod 600 it")
    key = path.read_text().strip()
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError(f"the session key {path} is shorter than {MIN_SECRET_BYTES} bytes: remove it to have a new one made")
    return key


def create_app(
    settings: Settings | None = None,
    *,
    store: ObjectStore | None = None,
    db: ReviewDB | None = None,
    trigger: Callable[[str, str, str], str] | None = None,
) -> FastAPI:
    """The app, or ``ConfigError`` (one line) for an unsafe configuration or an unmigrated database."""
    from prescreen import runtime

    settings = settings or Settings()
    settings.refuse_unsafe()
    secret = session_secret(settings)
    store = store or runtime.store_for(settings)
    db = db or runtime.review_db(settings.database_url)
    db.require_current_schema()
    if settings.production and (powers := audit_log_powers(db.engine)):
        raise ConfigError(
            f"the database role of PRESCREEN_DATABASE_URL may {'/'.join(powers)} the audit log: "
            "connect as a role set up by `prescreen db grant`"
        )
    app = FastAPI(title="prescreen review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="prescreen_session",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=settings.secure_cookies or settings.https,
    )
    app.state.settings, app.state.store, app.state.db = settings, store, db
    for module in (auth, packets, stats, export, audit, admin):
        app.include_router(module.router)
    app.include_router(hooks.router(settings, trigger))
    stylesheet = STYLESHEET.read_bytes()

    @app.get("/static/review.css", include_in_schema=False)
    def _stylesheet() -> Response:
        return Response(stylesheet, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    hsts = settings.https

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")  # scans and names are personal data
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = CSP
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and request.url.path.endswith(".jpg"):
            return Response(status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    return app
