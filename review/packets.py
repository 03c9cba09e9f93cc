"""The queue, a packet's page with its findings drawn on the scans, its images, and decisions.

Every decision names the report version the auditor saw (a hidden ``version`` field); a decision
on a version that is no longer the packet's latest is refused and the auditor asked to reload.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.errors import InputError, StorageError
from pipeline.html import evidence_name
from pipeline.labels import CODE_LABELS, TRACK_LABELS
from pipeline.manifest import Track
from pipeline.models import FindingCode, Report
from review.web import DECISION_LABELS, FORM, PACKET_DECISION_LABELS, STATUS_LABELS, Auditor, db_of, render
from storage.objectstore import MissingObject
from storage.reports import read_report, report_image
from storage.reviewdb import (
    FindingDecision,
    Packet,
    ReportVersion,
    Status,
    audit_trail,
    decide_finding,
    decide_packet,
    decisions,
    fingerprints,
    queue,
)

log = logging.getLogger(__name__)
IMAGE_NAME = re.compile(r"^(?:\d{1,4}-\d{1,5}|\d{3,5}-[A-Z_]{3,40})\.jpg$")
APP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, user: Auditor, status: str = Status.awaiting_review, track: str = "", code: str = "") -> HTMLResponse:
    with db_of(request).session() as s:
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


def load(request: Request, app_id: str) -> tuple[Packet, Report]:
    if not APP_ID.match(app_id):
        raise HTTPException(404)
    with db_of(request).session() as s:
        packet = s.get(Packet, app_id)
    if packet is None:
        raise HTTPException(404, "没有这份申请")
    try:
        return packet, read_report(request.app.state.store, packet.prefix, packet.latest_version)
    except MissingObject:
        raise HTTPException(404, "报告不存在") from None
    except StorageError as exc:
        log.warning("report of %s unavailable: %s", app_id, exc)
        raise HTTPException(503, "存储暂不可用，请稍后再试") from None


@router.get("/packets/{app_id}", response_class=HTMLResponse)
def packet_page(request: Request, app_id: str, user: Auditor) -> HTMLResponse:
    packet, report = load(request, app_id)
    with db_of(request).session() as s:
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


@router.get("/packets/{app_id}/v/{version}/{folder}/{name}")
def packet_image(request: Request, app_id: str, version: str, folder: str, name: str, user: Auditor) -> Response:
    if folder not in ("pages", "evidence") or not IMAGE_NAME.match(name) or not APP_ID.match(app_id):
        raise HTTPException(404)
    with db_of(request).session() as s:
        packet = s.get(Packet, app_id)
        known = packet is not None and s.scalar(select(ReportVersion.id).filter_by(application_id=app_id, version=version))
    if not known:
        raise HTTPException(404)
    try:
        data = report_image(request.app.state.store, packet.prefix, version, folder, name)
    except (MissingObject, ValueError):
        raise HTTPException(404) from None
    except StorageError:
        raise HTTPException(503) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post("/packets/{app_id}/findings/{fingerprint}", dependencies=[FORM])
def finding_decision(
    request: Request,
    app_id: str,
    fingerprint: str,
    user: Auditor,
    decision: Annotated[str, Form()],
    version: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    if not APP_ID.match(app_id):
        raise HTTPException(404)
    try:
        with db_of(request).session() as s:
            decide_finding(s, app_id, fingerprint, decision, comment, user, seen_version=version)
        request.session["flash"] = f"已记录：{DECISION_LABELS.get(decision, decision)}"
    except InputError as exc:
        request.session["flash"] = f"未记录：{exc}"
    return RedirectResponse(f"/packets/{app_id}#f-{fingerprint}", status_code=303)


@router.post("/packets/{app_id}/decision", dependencies=[FORM])
def packet_decision(
    request: Request,
    app_id: str,
    user: Auditor,
    decision: Annotated[str, Form()],
    version: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    _packet, report = load(request, app_id)
    try:
        with db_of(request).session() as s:
            decided = decisions(s, app_id)
            reasons = [
                f"{CODE_LABELS.get(f.code, f.code)}：{f.message}"
                for f, fp in zip(report.findings, fingerprints(report), strict=True)
                if (d := decided.get(fp)) is not None and d.decision == FindingDecision.confirmed
            ]
            decide_packet(s, app_id, decision, comment, reasons if decision == "return" else [], user, seen_version=version)
        request.session["flash"] = f"已记录：{PACKET_DECISION_LABELS.get(decision, decision)}"
    except InputError as exc:
        request.session["flash"] = f"未记录：{exc}"
    return RedirectResponse(f"/packets/{app_id}", status_code=303)
