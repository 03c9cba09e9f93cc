"""The queue and the search, a packet's page with its findings drawn on the scans (and a large
viewer of each page), its images, and decisions.

Every decision names the report version the auditor saw (a hidden ``version`` field); a decision
on a version that is no longer the packet's latest is refused and the auditor asked to reload.
The queue's selection (search text, status, track, finding code) travels with the links to a
packet and back, so the packet page can offer the previous and next packet in the queue's order.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.errors import InputError, StorageError
from pipeline.html import evidence_name
from pipeline.labels import CODE_LABELS, TRACK_LABELS
from pipeline.manifest import Track
from pipeline.models import FindingCode, Report
from review.web import DECISION_LABELS, FORM, PACKET_DECISION_LABELS, STATUS_LABELS, Reviewer, db_of, render, role_of
from storage.objectstore import MissingObject
from storage.reports import read_report, report_image
from storage.reviewdb import (
    FindingDecision,
    Packet,
    PacketFilter,
    ReportVersion,
    Role,
    Status,
    audit_trail,
    decide_finding,
    decide_packet,
    decisions,
    find_packets,
    fingerprints,
    neighbours,
)

log = logging.getLogger(__name__)
IMAGE_NAME = re.compile(r"^(?:\d{1,4}-\d{1,5}|\d{3,5}-[A-Z_]{3,40})\.jpg$")
APP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAGE_SIZE = 50
ZOOMS = {"fit": "适合窗口", "150": "150%", "200": "200%", "300": "300%"}
STOP = re.compile(r"^(?:f\d{1,4}|p\d{1,4}-\d{1,5})$")
MAX_TEXT = 200
SELECTION = ("q", "status", "track", "code")
router = APIRouter()


def selection(q: str = "", status: str | None = None, track: str = "", code: str = "") -> PacketFilter:
    """The queue's selection from its query parameters. Without a status the queue shows packets
    awaiting review, a search (text given) every status; ``all`` is every status."""
    q = q[:MAX_TEXT]
    if status is None or status == "":
        status = "all" if q.strip() else Status.awaiting_review
    return PacketFilter(text=q, status=None if status == "all" else status[:32], track=track[:32] or None, code=code[:32] or None)


def selection_query(f: PacketFilter) -> str:
    """The query string that selects ``f`` again (links from the queue to a packet and back)."""
    pairs = {"q": f.text.strip(), "status": f.status or "all", "track": f.track or "", "code": f.code or ""}
    return urlencode({k: v for k, v in pairs.items() if v})


def selection_of(query: str) -> PacketFilter:
    """A selection carried in a form's hidden ``back`` field (only the queue's own parameters count)."""
    params = {k: v for k, v in parse_qsl(query[:1000]) if k in SELECTION}
    return selection(**params)


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request, user: Reviewer, q: str = "", status: str | None = None, track: str = "", code: str = "", page: int = 1
) -> HTMLResponse:
    f = selection(q, status, track, code)
    with db_of(request).session() as s:
        found = find_packets(s, f, page=page, per_page=PAGE_SIZE)
    back = selection_query(f)
    return render(
        request,
        "queue.html.j2",
        found=found,
        rows=found.rows,
        q=f.text,
        status=f.status or "all",
        track=f.track or "",
        code=f.code or "",
        back=back,
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


def layout(report: Report, decided: dict) -> tuple[list[dict], list[dict]]:
    """The report's findings (numbered from 1, with their fingerprint, decision and evidence crop)
    and its documents with each page's findings, as the packet page and the viewer show them."""
    items = [
        {"n": i + 1, "f": f, "fp": fp, "d": decided.get(fp), "crop": evidence_name(i + 1, f) if f.bbox else None}
        for i, (f, fp) in enumerate(zip(report.findings, fingerprints(report), strict=True))
    ]
    by_place: dict[tuple, list[dict]] = defaultdict(list)
    for it in items:
        by_place[(it["f"].slot, it["f"].file, it["f"].page)].append(it)
    documents = [
        {
            "index": d,
            "doc": doc,
            "file_items": by_place.get((doc.slot, doc.file, None), []),
            "pages": [
                {"info": info, "entries": by_place.get((doc.slot, doc.file, info.page), []), "stop": f"p{d}-{info.page}"}
                for info in doc.pages
            ],
        }
        for d, doc in enumerate(report.documents)
    ]
    return items, documents


def viewer_stops(documents: list[dict]) -> dict[str, dict]:
    """Where the large viewer can stand: on each located finding (``f<n>``: its page with every box
    of that page, this one highlighted), in the order the packet page lists them, and on each page
    (``p<document>-<page>``). Each stop knows the previous and next finding and page."""
    findings, pages = [], []
    for d in documents:
        for p in d["pages"]:
            boxed = [it for it in p["entries"] if it["f"].bbox]
            pages.append({"id": p["stop"], "doc": d, "page": p, "marks": boxed, "current": None})
            findings.extend({"id": f"f{it['n']}", "doc": d, "page": p, "marks": boxed, "current": it} for it in boxed)
    page_index = {st["id"]: i for i, st in enumerate(pages)}
    for i, st in enumerate(findings):
        st["prev"] = findings[i - 1]["id"] if i else None
        st["next"] = findings[i + 1]["id"] if i + 1 < len(findings) else None
    for st in pages:  # from a page, the next finding is the first on or after it
        later = [f for f in findings if page_index[f["page"]["stop"]] >= page_index[st["id"]]]
        earlier = [f for f in findings if page_index[f["page"]["stop"]] < page_index[st["id"]]]
        st["next"] = later[0]["id"] if later else None
        st["prev"] = earlier[-1]["id"] if earlier else None
    for st in (*findings, *pages):
        i = page_index[st["page"]["stop"]]
        st["prev_page"] = pages[i - 1]["id"] if i else None
        st["next_page"] = pages[i + 1]["id"] if i + 1 < len(pages) else None
    return {st["id"]: st for st in (*findings, *pages)}


@router.get("/packets/{app_id}", response_class=HTMLResponse)
def packet_page(
    request: Request, app_id: str, user: Reviewer, q: str = "", status: str | None = None, track: str = "", code: str = ""
) -> HTMLResponse:
    packet, report = load(request, app_id)
    f = selection(q, status, track, code)
    with db_of(request).session() as s:
        decided = decisions(s, app_id)
        trail = audit_trail(s, app_id, limit=100)
        near = neighbours(s, f, app_id)
    items, documents = layout(report, decided)
    stops = viewer_stops(documents)
    confirmed = [it for it in items if it["d"] is not None and it["d"].decision == FindingDecision.confirmed]
    return render(
        request,
        "packet.html.j2",
        packet=packet,
        r=report,
        documents=documents,
        packet_items=[it for it in items if it["f"].file is None],
        items=items,
        first_stop=next((k for k in stops if k.startswith("f")), None),
        undecided=sum(it["d"] is None for it in items),
        confirmed=confirmed,
        trail=trail,
        last_decision=next((e for e in trail if e.action.startswith("packet_")), None),
        packet_decisions=PACKET_DECISION_LABELS,
        near=near,
        back=selection_query(f),
        locked=packet.status == Status.escalated and role_of(request) != Role.lead,
    )


@router.get("/packets/{app_id}/view/{stop}", response_class=HTMLResponse)
def packet_view(
    request: Request,
    app_id: str,
    stop: str,
    user: Reviewer,
    zoom: str = "fit",
    q: str = "",
    status: str | None = None,
    track: str = "",
    code: str = "",
) -> HTMLResponse:
    """A page large, the findings' boxes over it, at a zoom; on a finding, its box highlighted and
    scrolled to (``#box``), its decision form at hand, and the previous and next finding one key away."""
    if not STOP.match(stop):
        raise HTTPException(404)
    packet, report = load(request, app_id)
    with db_of(request).session() as s:
        decided = decisions(s, app_id)
    _items, documents = layout(report, decided)
    here = viewer_stops(documents).get(stop)
    if here is None:
        raise HTTPException(404, "没有这一页或这一项")
    zoom = zoom if zoom in ZOOMS else "fit"
    back = selection_query(selection(q, status, track, code))
    return render(
        request,
        "viewer.html.j2",
        packet=packet,
        r=report,
        st=here,
        zoom=zoom,
        zooms=ZOOMS,
        back=back,
        locked=packet.status == Status.escalated and role_of(request) != Role.lead,
    )


@router.get("/packets/{app_id}/v/{version}/{folder}/{name}")
def packet_image(request: Request, app_id: str, version: str, folder: str, name: str, user: Reviewer) -> Response:
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


def _back(app_id: str, back: str, anchor: str = "") -> str:
    query = selection_query(selection_of(back))
    return f"/packets/{app_id}" + (f"?{query}" if query else "") + anchor


@router.post("/packets/{app_id}/findings/{fingerprint}", dependencies=[FORM])
def finding_decision(
    request: Request,
    app_id: str,
    fingerprint: str,
    user: Reviewer,
    decision: Annotated[str, Form()],
    version: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "",
    zoom: Annotated[str, Form()] = "fit",
) -> Response:
    if not APP_ID.match(app_id):
        raise HTTPException(404)
    try:
        with db_of(request).session() as s:
            decide_finding(s, app_id, fingerprint, decision, comment, user, seen_version=version, escalations=role_of(request) == Role.lead)
        request.session["flash"] = f"已记录：{DECISION_LABELS.get(decision, decision)}"
    except InputError as exc:
        request.session["flash"] = f"未记录：{exc}"
    if STOP.match(view) and view.startswith("f"):  # decided in the viewer: stay there
        query = urlencode({"zoom": zoom if zoom in ZOOMS else "fit"})
        kept = selection_query(selection_of(back))
        return RedirectResponse(f"/packets/{app_id}/view/{view}?{query}" + (f"&{kept}" if kept else "") + "#box", status_code=303)
    return RedirectResponse(_back(app_id, back, f"#f-{fingerprint}" if re.fullmatch(r"[0-9a-f]{1,64}", fingerprint) else ""), status_code=303)


@router.post("/packets/{app_id}/decision", dependencies=[FORM])
def packet_decision(
    request: Request,
    app_id: str,
    user: Reviewer,
    decision: Annotated[str, Form()],
    version: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
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
            decide_packet(
                s, app_id, decision, comment, reasons if decision == "return" else [], user,
                seen_version=version, escalations=role_of(request) == Role.lead,
            )  # fmt: skip
        request.session["flash"] = f"已记录：{PACKET_DECISION_LABELS.get(decision, decision)}"
    except InputError as exc:
        request.session["flash"] = f"未记录：{exc}"
    return RedirectResponse(_back(app_id, back), status_code=303)
