"""The season at a glance: what came in, what was screened and decided, per day (Beijing time) and
per track, which finding codes auditors confirm or dismiss, and how long a packet waits for its
first decision. Every figure is an aggregate computed in the database (SQLite or PostgreSQL).

Definitions (the statistics page and the README say the same):

- *received*: packets by the day of their submission (``received_at``, from the manifest);
- *screened*: packets by the day their first report was recorded;
- *passed / returned / escalated*: packet decisions recorded that day (a packet returned and
  later passed counts once in each);
- *awaiting review*: packets awaiting review at the end of the day: screened, minus decisions
  taken on a packet that was awaiting review, plus packets reopened by a new report; the last
  day's figure is the queue as it is now when the range ends today;
- *findings per code*: the findings of the current report of each packet received in the range,
  and how many of them auditors confirmed or dismissed; the dismissal rate is dismissed over
  decided;
- *time to decision*: from submission to the packet's first pass or return, for packets whose
  first pass or return falls in the range (the median, in hours).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, func, literal, select
from sqlalchemy.orm import Session

from pipeline.manifest import Track
from storage.reviewdb import AuditEntry, FindingDecision, FindingRow, Packet, ReportVersion, Status

BEIJING = ZoneInfo("Asia/Shanghai")  # no daylight saving: a day is [00:00, 24:00) at UTC+8
MAX_DAYS = 366
DECISIONS = {"packet_pass": "passed", "packet_return": "returned", "packet_escalate": "escalated"}
CONCLUSIONS = ("packet_pass", "packet_return")


@dataclass
class Counts:
    received: int = 0
    screened: int = 0
    passed: int = 0
    returned: int = 0
    escalated: int = 0
    awaiting: int = 0  # at the end of the day (or of the range)

    def add(self, other: Counts) -> None:
        for f in ("received", "screened", "passed", "returned", "escalated"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


@dataclass
class DayRow(Counts):
    day: date = date.min


@dataclass
class TrackRow(Counts):
    track: str = ""
    decided: int = 0  # packets whose first pass or return is in the range
    median_hours: float | None = None


@dataclass(frozen=True)
class CodeRow:
    code: str
    findings: int
    confirmed: int
    dismissed: int

    @property
    def undecided(self) -> int:
        return self.findings - self.confirmed - self.dismissed

    @property
    def dismissal_rate(self) -> float | None:
        decided = self.confirmed + self.dismissed
        return self.dismissed / decided if decided else None


@dataclass
class Season:
    start: date
    end: date
    track: str | None
    days: list[DayRow] = field(default_factory=list)
    tracks: list[TrackRow] = field(default_factory=list)  # every track, whatever ``track`` selects
    total: TrackRow = field(default_factory=TrackRow)  # the selected track (or all)
    codes: list[CodeRow] = field(default_factory=list)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) Beijing time, as UTC instants."""
    lo = datetime.combine(start, time(), BEIJING).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), BEIJING).astimezone(UTC)
    return lo, hi


def _day(s: Session, column: Any) -> Any:
    """The Beijing calendar day of a UTC timestamp column, in SQL."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'


def _seconds(s: Session, later: Any, earlier: Any) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * literal(86400.0, Float)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def activity_span(s: Session) -> tuple[date, date] | None:
    """The first and the last Beijing day with a packet received or decided; None on an empty database."""
    first, last = s.execute(select(func.min(Packet.received_at), func.max(Packet.received_at))).one()
    decided = s.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.action.in_(DECISIONS)))
    if first is None:
        return None
    last = max(last, decided) if decided is not None else last
    return first.astimezone(BEIJING).date(), last.astimezone(BEIJING).date()


def season(s: Session, start: date, end: date, track: str | None = None) -> Season:
    """Every figure of the statistics page for the Beijing days ``start``..``end`` (inclusive)."""
    if end < start:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    lo, hi = day_bounds(start, end)
    daily = _daily(s)  # (day, track) -> Counts, over all time: the backlog is a running sum from the first day
    result = Season(start, end, track)

    by_track: dict[str, TrackRow] = {}
    backlog: dict[str, int] = defaultdict(int)  # per track, at the end of the range
    change: dict[date, int] = defaultdict(int)  # the selected tracks' backlog change per day
    days = {start + timedelta(days=i): DayRow(day=start + timedelta(days=i)) for i in range((end - start).days + 1)}
    for (day, tr), c in daily.items():
        if day > end:
            continue
        backlog[tr] += c.awaiting
        if track is None or tr == track:
            change[day] += c.awaiting
        if day >= start:
            by_track.setdefault(tr, TrackRow(track=tr)).add(c)
            if track is None or tr == track:
                days[day].add(c)
    for tr, n in backlog.items():
        by_track.setdefault(tr, TrackRow(track=tr)).awaiting = n
    running = sum(n for day, n in change.items() if day < start)
    for day in sorted(days):
        running += change.get(day, 0)
        days[day].awaiting = running
    result.days = [days[d] for d in sorted(days)]

    waits = _waits(s, lo, hi)
    for tr, hours in waits.items():
        row = by_track.setdefault(tr, TrackRow(track=tr))
        row.decided, row.median_hours = len(hours), statistics.median(hours)
    order = {t.value: i for i, t in enumerate(Track)}
    result.tracks = sorted(by_track.values(), key=lambda r: (order.get(r.track, len(order)), r.track))
    total = TrackRow(track=track or "")
    for r in result.tracks:
        if track is None or r.track == track:
            total.add(r)
            total.awaiting += r.awaiting
    chosen = [h for tr, hours in waits.items() if track is None or tr == track for h in hours]
    total.decided, total.median_hours = len(chosen), statistics.median(chosen) if chosen else None
    result.total = total
    result.codes = _codes(s, lo, hi, track)
    return result


def _daily(s: Session) -> dict[tuple[date, str], Counts]:
    """Events per (Beijing day, track), over all time; ``awaiting`` holds the backlog's change that day."""
    out: dict[tuple[date, str], Counts] = defaultdict(Counts)

    def put(rows: Iterable[Any], what: str, sign: int = 1) -> None:
        for day, tr, n in rows:
            c = out[(_as_date(day), tr)]
            setattr(c, what, getattr(c, what) + sign * int(n))

    received = _day(s, Packet.received_at)
    put(s.execute(select(received, Packet.track, func.count()).group_by(received, Packet.track)), "received")

    first = select(ReportVersion.application_id.label("app"), func.min(ReportVersion.recorded_at).label("at")).group_by(ReportVersion.application_id).subquery()
    screened = _day(s, first.c.at)
    rows = list(s.execute(select(screened, Packet.track, func.count()).join(Packet, Packet.application_id == first.c.app).group_by(screened, Packet.track)))
    put(rows, "screened")
    put(rows, "awaiting")

    at = _day(s, AuditEntry.at)
    previous = AuditEntry.detail["previous"].as_string()
    q = (
        select(at, Packet.track, AuditEntry.action, func.count(), func.count().filter(previous == Status.awaiting_review.value))
        .join(Packet, Packet.application_id == AuditEntry.application_id)
        .where(AuditEntry.action.in_(DECISIONS))
        .group_by(at, Packet.track, AuditEntry.action)
    )
    for day, tr, action, n, from_queue in s.execute(q):
        c = out[(_as_date(day), tr)]
        setattr(c, DECISIONS[action], getattr(c, DECISIONS[action]) + int(n))
        c.awaiting -= int(from_queue)

    q = (
        select(at, Packet.track, func.count())
        .join(Packet, Packet.application_id == AuditEntry.application_id)
        .where(AuditEntry.action == "reopened")
        .group_by(at, Packet.track)
    )
    put(s.execute(q), "awaiting")
    return dict(out)


def _waits(s: Session, lo: datetime, hi: datetime) -> dict[str, list[float]]:
    """Hours from submission to the first pass or return, per track, of packets whose first pass or
    return is in [lo, hi)."""
    first = (
        select(AuditEntry.application_id.label("app"), func.min(AuditEntry.at).label("at"))
        .where(AuditEntry.action.in_(CONCLUSIONS))
        .group_by(AuditEntry.application_id)
        .subquery()
    )
    q = (
        select(Packet.track, _seconds(s, first.c.at, Packet.received_at))
        .join(first, first.c.app == Packet.application_id)
        .where(first.c.at >= lo, first.c.at < hi)
    )
    out: dict[str, list[float]] = defaultdict(list)
    for tr, seconds in s.execute(q):
        out[tr].append(max(0.0, float(seconds)) / 3600)
    return dict(out)


def _codes(s: Session, lo: datetime, hi: datetime, track: str | None) -> list[CodeRow]:
    f = FindingRow
    q = (
        select(
            f.code,
            func.count(),
            func.count().filter(f.decision == FindingDecision.confirmed.value),
            func.count().filter(f.decision == FindingDecision.dismissed.value),
        )
        .join(Packet, (Packet.application_id == f.application_id) & (Packet.latest_version == f.version))
        .where(Packet.received_at >= lo, Packet.received_at < hi)
        .group_by(f.code)
    )
    if track:
        q = q.where(Packet.track == track)
    rows = [CodeRow(code, int(n), int(c), int(x)) for code, n, c, x in s.execute(q)]
    return sorted(rows, key=lambda r: (-r.findings, r.code))
