"""``/export``: decisions and confirmed findings for a date range and a filter, as ``.xlsx``
(openpyxl) or ``.csv`` (UTF-8 with a BOM, so Excel reads Chinese), for leads. Every export is
written to the audit log: who, which filter, how many rows, whether names were in it, and the
SHA-256 of the file handed out.

Spreadsheet formula injection: a cell whose text starts with ``= + - @``, a tab or a carriage
return is never a formula. In ``.xlsx`` every text cell is stored as a string and such a cell
also carries Excel's quote prefix; in ``.csv`` such text is preceded by ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS, SLOT_LABELS, TRACK_LABELS
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Recommendation
from review.stats import default_range, parse_day
from review.web import BEIJING, FORM, PACKET_DECISION_LABELS, STATUS_LABELS, Lead, db_of, render
from storage.exports import Export, ExportFilter, TooLarge, export_rows
from storage.reviewdb import audit

router = APIRouter()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRACKS = {t.value: TRACK_LABELS.get(t, t.value) for t in Track}
CODES = {c.value: CODE_LABELS.get(c, c.value) for c in FindingCode}
SLOTS = {s.value: SLOT_LABELS.get(s, s.value) for s in Slot}
RECOMMENDATIONS = {r.value: RECOMMENDATION_LABELS.get(r, r.value) for r in Recommendation}
SEVERITIES = {"error": "错误", "warning": "提醒"}
MAX_DAYS = 366

DECISION_COLUMNS = (
    ("申报编号", 16), ("申报类别", 16), ("申请人", 14), ("工作单位", 26), ("预审建议", 20), ("审核结论", 14),
    ("当前状态", 14), ("审核人", 16), ("审核时间（北京）", 18), ("报告版本", 16), ("说明", 40), ("退回理由", 70),
)  # fmt: skip
FINDING_COLUMNS = (
    ("申报编号", 16), ("申报类别", 16), ("申请人", 14), ("问题类型", 18), ("级别", 8), ("材料", 20), ("页", 6),
    ("问题说明", 60), ("确认人", 16), ("确认时间（北京）", 18), ("意见", 40),
)  # fmt: skip


def decision_cells(export: Export) -> Iterable[list[Any]]:
    for r in export.decisions:
        reasons = "\n".join(f"{i}. {x}" for i, x in enumerate(r.reasons, 1))
        yield [
            r.application_id, TRACKS.get(r.track, r.track), r.applicant, r.employer, RECOMMENDATIONS.get(r.recommendation, r.recommendation),
            PACKET_DECISION_LABELS.get(r.decision, r.decision), STATUS_LABELS.get(r.status, r.status), r.auditor, _beijing(r.at),
            r.report_version, r.comment, reasons,
        ]  # fmt: skip


def finding_cells(export: Export) -> Iterable[list[Any]]:
    for r in export.findings:
        yield [
            r.application_id, TRACKS.get(r.track, r.track), r.applicant, CODES.get(r.code, r.code), SEVERITIES.get(r.severity, r.severity),
            SLOTS.get(r.slot, r.slot), r.page, r.message, r.auditor, _beijing(r.at), r.comment,
        ]  # fmt: skip


def _beijing(t: datetime) -> datetime:
    return t.astimezone(BEIJING).replace(tzinfo=None, microsecond=0)


def inert(text: str) -> bool:
    """Whether a spreadsheet would take this text for a formula (or a command) if left as it is."""
    return text.startswith(FORMULA_START)


def write_xlsx(export: Export) -> bytes:
    """Two sheets, written row by row (openpyxl's write-only mode: an export of a whole season is
    tens of thousands of rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for title, columns, rows in (("审核结论", DECISION_COLUMNS, decision_cells(export)), ("已确认问题", FINDING_COLUMNS, finding_cells(export))):
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        for j, (_name, width) in enumerate(columns):
            ws.column_dimensions[chr(ord("A") + j)].width = width
        header = []
        for name, _width in columns:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for values in rows:
            out: list[Any] = []
            for value in values:
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    if inert(value) or "\n" in value:
                        cell = WriteOnlyCell(ws, value=value)
                        cell.data_type = "s"  # never a formula, whatever the text starts with
                        if inert(value):
                            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
                        if "\n" in value:
                            cell.alignment = wrap
                        value = cell
                elif isinstance(value, datetime):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    value = cell
                out.append(value)
            ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_csv(columns: Sequence[tuple[str, int]], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([name for name, _ in columns])
    for values in rows:
        w.writerow([_csv_value(v) for v in values])
    return out.getvalue().encode("utf-8-sig")  # the BOM tells Excel the file is UTF-8


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if inert(text) else text


def _form(request: Request, status_code: int = 200, error: str | None = None, **chosen: Any) -> HTMLResponse:
    start, end = default_range(request)
    values = {"start": start.isoformat(), "end": end.isoformat(), "track": "", "decision": "", "latest": True, "format": "xlsx", "content": "decisions"}
    values.update({k: v for k, v in chosen.items() if v is not None})
    return render(
        request,
        "export.html.j2",
        status_code=status_code,
        error=error,
        v=values,
        tracks=list(TRACKS.items()),
        decisions=list(PACKET_DECISION_LABELS.items()),
    )


@router.get("/export", response_class=HTMLResponse)
def export_page(request: Request, user: Lead) -> HTMLResponse:
    return _form(request)


@router.post("/export", dependencies=[FORM])
def export_file(
    request: Request,
    user: Lead,
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    track: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    latest: Annotated[str, Form()] = "",
    format: Annotated[str, Form()] = "xlsx",
    content: Annotated[str, Form()] = "decisions",
) -> Response:
    chosen = {"start": start[:32], "end": end[:32], "track": track[:32], "decision": decision[:32], "latest": bool(latest), "format": format[:8], "content": content[:16]}
    first, last = parse_day(start), parse_day(end)
    if first is None or last is None:
        return _form(request, 400, "请填写起止日期（YYYY-MM-DD）", **chosen)
    if last < first:
        first, last = last, first
    if (last - first) >= timedelta(days=MAX_DAYS):
        return _form(request, 400, f"日期范围不能超过 {MAX_DAYS} 天", **chosen)
    if track and track not in TRACKS or decision and decision not in PACKET_DECISION_LABELS:
        return _form(request, 400, "未知的申报类别或审核结论", **chosen)
    if format not in ("xlsx", "csv") or content not in ("decisions", "findings"):
        return _form(request, 400, "未知的导出格式", **chosen)
    f = ExportFilter(first, last, track or None, decision or None, latest_only=bool(latest))
    db = db_of(request)
    try:
        with db.session() as s:
            export = export_rows(s, f, findings=format == "xlsx" or content == "findings")
    except TooLarge as exc:
        return _form(request, 400, str(exc), **chosen)
    if format == "xlsx":
        data, media, what = write_xlsx(export), XLSX_TYPE, "decisions+findings"
    elif content == "findings":
        data, media, what = write_csv(FINDING_COLUMNS, finding_cells(export)), "text/csv; charset=utf-8", "findings"
    else:
        data, media, what = write_csv(DECISION_COLUMNS, decision_cells(export)), "text/csv; charset=utf-8", "decisions"
    digest = hashlib.sha256(data).hexdigest()
    with db.session() as s:  # no file leaves without its entry in the audit log
        audit(
            s, user, "export", format=format, content=what, start=first.isoformat(), end=last.isoformat(), track=f.track,
            decision=f.decision, latest_only=f.latest_only, decisions=len(export.decisions), findings=len(export.findings),
            applications=len({r.application_id for r in export.decisions}), names=export.names_included, sha256=digest,
        )  # fmt: skip
    name = f"prescreen-{what.replace('+', '-')}-{first:%Y%m%d}-{last:%Y%m%d}.{format}"
    cn = f"审核结论-{first:%Y%m%d}-{last:%Y%m%d}.{format}"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(cn)}", "X-Content-SHA256": digest},
    )

