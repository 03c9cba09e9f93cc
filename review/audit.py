"""``/audit``: the audit log, newest first, for all packets or one (leads and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from review.web import LogReader, db_of, render
from storage import throttle
from storage.reviewdb import audit_trail

router = APIRouter()


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: LogReader, application: str = "") -> HTMLResponse:
    db = db_of(request)
    with db.session() as s:
        throttle.summarise(s)  # failed sign-ins due for their summary appear now, not at the next attempt
    with db.session() as s:
        trail = audit_trail(s, application or None, limit=500)
        pending = throttle.pending(s)
    return render(request, "audit.html.j2", trail=trail, application=application, pending=pending)
