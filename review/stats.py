"""``/stats``: the season at a glance for leads — per day and per track, findings per code with the
dismissal rate, the median time to a decision; each chart drawn as SVG on the server and every
figure also in a table (``storage.stats`` defines them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pipeline.labels import CODE_LABELS, TRACK_LABELS
from pipeline.manifest import Track
from pipeline.models import FindingCode
from review import charts
from review.web import BEIJING, Lead, db_of, render
from storage.stats import activity_span, season

router = APIRouter()
DEFAULT_DAYS = 30
CODE_NAMES = {c.value: CODE_LABELS.get(c, c.value) for c in FindingCode}
TRACK_NAMES = {t.value: TRACK_LABELS.get(t, t.value) for t in Track}


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def default_range(request: Request) -> tuple[date, date]:
    """The last 30 days with activity (received or decided) up to today; the last 30 days when none."""
    today = datetime.now(BEIJING).date()
    with db_of(request).session() as s:
        span = activity_span(s)
    end = min(today, span[1]) if span else today
    start = max(span[0], end - timedelta(days=DEFAULT_DAYS - 1)) if span else end - timedelta(days=DEFAULT_DAYS - 1)
    return min(start, end), end


def chosen_range(request: Request, start: str, end: str) -> tuple[date, date, str | None]:
    """The range asked for; a missing end is 30 days on, a missing start 30 days before; neither: the default."""
    first, last, note = parse_day(start), parse_day(end), None
    if (start.strip() and first is None) or (end.strip() and last is None):
        first = last = None
        note = "日期格式应为 YYYY-MM-DD，已改用默认范围"
    span = timedelta(days=DEFAULT_DAYS - 1)
    if first is None and last is None:
        first, last = default_range(request)
    elif first is None:
        first = last - span
    elif last is None:
        last = first + span
    return (first, last, note) if first <= last else (last, first, note)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, user: Lead, start: str = "", end: str = "", track: str = "") -> HTMLResponse:
    first, last, note = chosen_range(request, start[:32], end[:32])
    track = track if track in TRACK_NAMES else ""
    with db_of(request).session() as s:
        data = season(s, first, last, track or None)
    return render(
        request,
        "stats.html.j2",
        data=data,
        note=note,
        track=track,
        tracks=list(TRACK_NAMES.items()),
        code_names=CODE_NAMES,
        track_names=TRACK_NAMES,
        charts=[
            charts.daily_chart(data.days),
            charts.backlog_chart(data.days),
            charts.tracks_chart(data.tracks, TRACK_NAMES),
            charts.codes_chart(data.codes, CODE_NAMES),
        ],
    )
