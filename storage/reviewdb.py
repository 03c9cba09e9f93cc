"""The review database: packets awaiting review, auditors' decisions and the append-only audit log.

SQLAlchemy 2 over SQLite by default, PostgreSQL (or any SQLAlchemy URL) in production. Reports
and scans stay in the object store; this holds only what the queue is sorted and filtered by,
and everything people decided. The audit log refuses updates and deletes, in the ORM and with
database triggers (and, on PostgreSQL, TRUNCATE); each entry carries the hash of the one before
it (``storage.auditchain``), so a removed or edited row shows in ``verify_audit_log``.

The schema is made and changed by Alembic migrations (``storage/migrations``, run by
``prescreen db upgrade``); ``ReviewDB`` refuses a database that is not at the current revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from pipeline.build import digest
from pipeline.errors import ConfigError, InputError
from pipeline.manifest import Applicant
from storage.auditchain import GENESIS, clean_detail, clean_text, entry_hash
from pipeline.models import Recommendation, Report


class UtcDateTime(TypeDecorator):
    """Timestamps stored and returned in UTC, on SQLite as well."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Status(StrEnum):
    awaiting_review = "awaiting_review"
    passed = "passed"
    returned = "returned"
    escalated = "escalated"


class Role(StrEnum):
    """What an account may do in the review app (``review.web`` enforces it on every route)."""

    auditor = "auditor"  # search, read packets, decide findings and packets
    lead = "lead"  # an auditor's powers, plus escalated packets, statistics and exports
    admin = "admin"  # accounts and the audit log; no packets


class FindingDecision(StrEnum):
    confirmed = "confirmed"
    dismissed = "dismissed"


PACKET_DECISIONS = {"pass": Status.passed, "return": Status.returned, "escalate": Status.escalated}
RECOMMENDATION_RANK = {Recommendation.return_to_applicant: 0, Recommendation.needs_review: 1, Recommendation.pass_: 2}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    # a session is valid only while it carries the user's current epoch: signing out, a new
    # password and disabling the account raise it, which ends every session of the user at once
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    role: Mapped[str] = mapped_column(String(16), default=Role.auditor, server_default=Role.auditor.value)


class Packet(Base):
    __tablename__ = "packets"
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(512), unique=True)
    track: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    latest_version: Mapped[str] = mapped_column(String(64))
    recommendation: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(32), default=Status.awaiting_review, index=True)
    inputs: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(default=now)
    # from the manifest: auditors find a packet by them (on ``review`` they are masked in the scans)
    applicant_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    employer: Mapped[str] = mapped_column(String(128), default="", server_default="")


class ReportVersion(Base):
    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("application_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("packets.application_id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    recommendation: Mapped[str] = mapped_column(String(32))
    generated_at: Mapped[datetime]
    inputs: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=now)


class FindingRow(Base):
    """One finding of one report version, as the queue filters and the packet page lists them."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("application_id", "version", "position"),
        # statistics per code of the current reports read this index alone
        Index("ix_findings_current", "application_id", "version", "code", "decision"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("packets.application_id"), index=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int]  # index in the report's ``findings``
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    # where and what, for exports of confirmed findings without reading each report back
    slot: Mapped[str | None] = mapped_column(String(32), default=None)
    page: Mapped[int | None] = mapped_column(default=None)
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the standing decision on this fingerprint (``Decision``), copied here when it is made and when
    # the row is recorded: the statistics count decisions per code without a lookup per finding
    decision: Mapped[str | None] = mapped_column(String(16), default=None)


class Decision(Base):
    """The standing decision on one finding (by fingerprint); its history is in the audit log."""

    __tablename__ = "finding_decisions"
    application_id: Mapped[str] = mapped_column(ForeignKey("packets.application_id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    auditor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=now)


class AuditEntry(Base):
    """Who did what, when, on which report version. Rows are only ever added."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    application_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    report_version: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)

    def computed_hash(self) -> str:
        return entry_hash(self.prev_hash or "", self.at, self.actor, self.action, self.application_id, self.report_version, self.detail)


class SignInThrottle(Base):
    """Sign-in attempts per (client address, username), and per address alone (``username`` empty).

    A pair's ``failures`` are consecutive failures (exponential back-off until ``next_at``); an
    address's are attempts in its current window. ``unreported_*`` counts what the audit log has
    not summarised yet (``storage.throttle``)."""

    __tablename__ = "sign_in_throttle"
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=now)
    next_at: Mapped[datetime] = mapped_column(default=now)
    unreported_failed: Mapped[int] = mapped_column(default=0)
    unreported_refused: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now, index=True)


class SignInReport(Base):
    """When failed sign-ins were last summarised in the audit log (one row)."""

    __tablename__ = "sign_in_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    reported_at: Mapped[datetime]


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, _ctx: Any, _instances: Any) -> None:
    if any(isinstance(o, AuditEntry) for o in (*session.dirty, *session.deleted)):
        raise AppendOnlyError("the audit log is append-only")


# ---------------------------------------------------------------- connection


class ReviewDB:
    """One database; ``session()`` is a unit of work that commits or rolls back as a whole.

    ``check_schema`` (the default) refuses a database that is not at the migrations' head, in one
    line naming the command that fixes it; ``storage.migrate`` opens it unchecked to migrate it."""

    def __init__(self, url: str, *, check_schema: bool = True) -> None:
        self.url = url
        self.engine: Engine = engine_for(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if check_schema:
            self.require_current_schema()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def require_current_schema(self) -> None:
        from storage import migrate

        with self.engine.connect() as conn:
            at, head = migrate.current(conn), migrate.head()
        if at != head:
            where = "has no prescreen schema" if at is None else f"is at schema revision {at}, this prescreen needs {head}"
            raise ConfigError(f"the review database {self.engine.url.render_as_string(hide_password=True)} {where}: run `prescreen db upgrade`")


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(conn: Any, _record: Any) -> None:
    conn.isolation_level = None  # the driver's own implicit BEGIN is replaced by _sqlite_begin
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Every transaction takes SQLite's write lock up front: a unit of work that reads, then writes
    (the audit chain's last hash, a sign-in counter) can never act on a stale read."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


AUDIT_LOCK = 7_301_117_001  # PostgreSQL advisory lock serialising appends to the audit chain


def audit(s: Session, actor: str, action: str, application_id: str | None = None, version: str | None = None, **detail: Any) -> AuditEntry:
    """Append one entry to the audit log, chained to the entry before it."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})  # held until commit
    prev = s.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    entry = AuditEntry(
        at=now(),
        actor=clean_text(actor, 64),
        action=clean_text(action, 48),
        application_id=application_id,
        report_version=version,
        detail=clean_detail(detail),
        prev_hash=prev,
    )
    entry.hash = entry.computed_hash()
    s.add(entry)
    s.flush()  # the next entry of this unit of work chains to this one
    return entry


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    last_hash: str
    broken_at: int | None = None
    reason: str = ""


def verify_audit_log(s: Session) -> ChainCheck:
    """Walk the chain from the first entry; the first row whose link or content does not match is reported."""
    expected, n = GENESIS, 0
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)):
        if e.prev_hash != expected:
            return ChainCheck(n, expected, e.id, "its link to the entry before does not match (an entry was removed or inserted before it)")
        if e.hash != e.computed_hash():
            return ChainCheck(n, expected, e.id, "its content does not match its hash (the entry was changed)")
        expected, n = e.hash, n + 1
    return ChainCheck(n, expected)


# ---------------------------------------------------------------- reports


def fingerprints(report: Report) -> list[str]:
    """Each finding's fingerprint, bound to the bytes of the file it is about."""
    sha = {(d.slot, d.file): d.sha256 for d in report.documents}
    return [f.fingerprint(sha.get((f.slot, f.file))) for f in report.findings]


def inputs_digest(report: Report) -> str:
    return digest(*sorted(f"{d.slot}/{d.file}/{d.sha256}" for d in report.documents))


@dataclass(frozen=True)
class Recorded:
    status: Status
    reopened: bool
    undecided: int


def record_report(
    s: Session, prefix: str, report: Report, version: str, received_at: datetime | None = None, *, applicant: Applicant | None = None
) -> Recorded:
    """Register a published report version. A decided packet comes back to the queue when its
    files changed or the new report has a finding nobody has decided on. ``applicant`` (the
    manifest's) gives the name and employer auditors search by; without it they stay as they were."""
    app = report.application_id
    prints = fingerprints(report)
    inputs = inputs_digest(report)
    packet = s.get(Packet, app, with_for_update=True)  # a decision being recorded on this packet finishes first
    if packet is not None and packet.prefix != prefix:
        raise InputError(f"application {app} is already registered under another prefix")
    if packet is not None and s.scalar(select(ReportVersion.id).filter_by(application_id=app, version=version)):
        return Recorded(Status(packet.status), False, _undecided(s, app, prints))
    if packet is None:
        packet = Packet(application_id=app, prefix=prefix, track=report.track, received_at=received_at or report.generated_at)
        s.add(packet)
        packet.status = Status.awaiting_review
    before_inputs = packet.inputs
    if applicant is not None:
        packet.applicant_name = clean_text(applicant.name.strip(), 64)
        packet.employer = clean_text(applicant.employer.strip(), 128)
    packet.track = report.track
    packet.latest_version = version
    packet.recommendation = report.recommendation.value
    packet.rank = RECOMMENDATION_RANK[report.recommendation]
    packet.inputs = inputs
    packet.updated_at = now()
    s.flush()  # the packet row first: versions and findings refer to it
    standing = dict(s.execute(select(Decision.fingerprint, Decision.decision).where(Decision.application_id == app, Decision.fingerprint.in_(prints))).all())
    s.add(
        ReportVersion(
            application_id=app, version=version, recommendation=packet.recommendation, generated_at=report.generated_at, inputs=inputs, recorded_at=now()
        )
    )
    for i, (f, fp) in enumerate(zip(report.findings, prints, strict=True)):
        s.add(
            FindingRow(
                application_id=app,
                version=version,
                position=i,
                fingerprint=fp,
                code=f.code.value,
                severity=f.severity.value,
                slot=f.slot.value if f.slot else None,
                page=f.page,
                message=clean_text(f.message, 2000),
                decision=standing.get(fp),
            )
        )
    s.flush()
    undecided = _undecided(s, app, prints)
    audit(s, "system", "report_published", app, version, recommendation=packet.recommendation, findings=len(prints), undecided=undecided)
    reopened = False
    if packet.status != Status.awaiting_review and (undecided or (before_inputs and before_inputs != inputs)):
        reason = "files_changed" if before_inputs != inputs else "new_findings"
        audit(s, "system", "reopened", app, version, previous=packet.status, reason=reason)
        packet.status = Status.awaiting_review
        reopened = True
    return Recorded(Status(packet.status), reopened, undecided)


def without_applicant(s: Session) -> list[tuple[str, str]]:
    """(application id, prefix) of packets recorded before names were kept (``backfill_applicant``)."""
    return list(s.execute(select(Packet.application_id, Packet.prefix).where(Packet.applicant_name == "").order_by(Packet.application_id)).all())


def backfill_applicant(s: Session, app: str, applicant: Applicant) -> bool:
    """Give a packet recorded without them its applicant's name and employer; False if it has them."""
    packet = s.get(Packet, app, with_for_update=True)
    if packet is None or packet.applicant_name:
        return False
    packet.applicant_name = clean_text(applicant.name.strip(), 64)
    packet.employer = clean_text(applicant.employer.strip(), 128)
    return True


def _undecided(s: Session, app: str, prints: Iterable[str]) -> int:
    prints = set(prints)
    decided = set(s.scalars(select(Decision.fingerprint).where(Decision.application_id == app, Decision.fingerprint.in_(prints))))
    return len(prints - decided)


# ---------------------------------------------------------------- decisions


class StaleReport(InputError):
    """The auditor decided on a report version that is no longer the packet's latest."""


def decide_finding(
    s: Session, app: str, fingerprint: str, decision: str, comment: str, auditor: str, *, seen_version: str, escalations: bool = True
) -> Decision:
    """Record a decision on one finding of the report version the auditor saw (``seen_version``);
    on an escalated packet only when ``escalations`` (the decider is a lead)."""
    packet = _packet(s, app, seen_version, escalations)
    if decision not in FindingDecision.__members__:
        raise InputError(f"unknown decision {decision!r}")
    if not s.scalar(select(FindingRow.id).filter_by(application_id=app, version=packet.latest_version, fingerprint=fingerprint)):
        raise InputError("this finding is not in the packet's current report")
    comment = clean_text(comment.strip(), 2000)
    if decision == FindingDecision.dismissed and not comment:
        raise InputError("驳回（排除）一项发现须填写理由")
    row = s.get(Decision, (app, fingerprint))
    previous = row.decision if row else None
    if row is None:
        row = Decision(application_id=app, fingerprint=fingerprint)
        s.add(row)
    row.decision, row.comment, row.auditor, row.version, row.decided_at = decision, comment, auditor, packet.latest_version, now()
    s.execute(update(FindingRow).where(FindingRow.application_id == app, FindingRow.fingerprint == fingerprint).values(decision=decision))
    audit(s, auditor, f"finding_{decision}", app, packet.latest_version, fingerprint=fingerprint, comment=comment, previous=previous)
    return row


def decide_packet(
    s: Session, app: str, decision: str, comment: str, reasons: list[str], auditor: str, *, seen_version: str, escalations: bool = True
) -> Status:
    """Decide the packet on the report version the auditor saw; ``pass`` only once every error
    finding of that version has been confirmed or dismissed; an escalated packet only when
    ``escalations`` (the decider is a lead)."""
    packet = _packet(s, app, seen_version, escalations)
    status = PACKET_DECISIONS.get(decision)
    if status is None:
        raise InputError(f"unknown packet decision {decision!r}")
    comment = clean_text(comment.strip(), 4000)
    if status is Status.returned and not reasons and not comment:
        raise InputError("退回申请人须列明理由：确认至少一项发现，或填写说明")
    if status is Status.escalated and not comment:
        raise InputError("提交上级复核须填写说明")
    if status is Status.passed and (open_errors := undecided_errors(s, app, packet.latest_version)):
        raise InputError(f"尚有 {open_errors} 项问题（错误级）未确认或排除，不能审核通过")
    previous = packet.status
    packet.status = status
    packet.updated_at = now()
    audit(s, auditor, f"packet_{decision}", app, packet.latest_version, comment=comment, reasons=reasons, previous=previous)
    return status


def undecided_errors(s: Session, app: str, version: str) -> int:
    f, d = FindingRow, Decision
    q = (
        select(func.count(f.id))
        .outerjoin(d, (d.application_id == f.application_id) & (d.fingerprint == f.fingerprint))
        .where(f.application_id == app, f.version == version, f.severity == "error", d.fingerprint.is_(None))
    )
    return int(s.scalar(q) or 0)


class EscalatedPacket(InputError):
    """Only a lead decides on a packet that was escalated."""


def _packet(s: Session, app: str, seen_version: str | None = None, escalations: bool = True) -> Packet:
    packet = s.get(Packet, app, with_for_update=True)  # a report published meanwhile waits for this decision
    if packet is None:
        raise InputError(f"no packet {app}")
    if packet.status == Status.escalated and not escalations:
        raise EscalatedPacket("此申请已提交上级复核，须由审核组长决定")
    if seen_version is not None and seen_version != packet.latest_version:
        raise StaleReport("报告已更新为新版本，本次决定未记录：请重新加载页面，查看新版本后再作决定")
    return packet


def decisions(s: Session, app: str) -> dict[str, Decision]:
    return {d.fingerprint: d for d in s.scalars(select(Decision).filter_by(application_id=app))}


# ---------------------------------------------------------------- queue


@dataclass(frozen=True)
class QueueRow:
    packet: Packet
    findings: int
    undecided: int


NAME_SEPARATORS = "·•・．. 　"  # 阿依古丽·买买提 is found as 阿依古丽买买提, 阿依古丽.买买提 or 买买提
MAX_TERMS = 5


@dataclass(frozen=True)
class PacketFilter:
    """What the queue and the search select: free text (each word must match the application id,
    the applicant's name or the employer), status (``None`` = any), track and finding code."""

    text: str = ""
    status: str | None = Status.awaiting_review
    track: str | None = None
    code: str | None = None

    def terms(self) -> list[str]:
        return [t for t in (_plain(w) for w in self.text.split()[:MAX_TERMS]) if t]


def _plain(text: str) -> str:
    return clean_text("".join(ch for ch in text if ch not in NAME_SEPARATORS), 128)


def _without_separators(column: Any) -> Any:
    for ch in NAME_SEPARATORS:
        column = func.replace(column, ch, "")
    return column


def _filtered(q: Any, f: PacketFilter) -> Any:
    if f.status:
        q = q.where(Packet.status == f.status)
    if f.track:
        q = q.where(Packet.track == f.track)
    if f.code:
        q = q.where(
            select(FindingRow.id)
            .where(FindingRow.application_id == Packet.application_id, FindingRow.version == Packet.latest_version, FindingRow.code == f.code)
            .exists()
        )
    for term in f.terms():
        q = q.where(
            Packet.application_id.icontains(term, autoescape=True)
            | _without_separators(Packet.applicant_name).icontains(term, autoescape=True)
            | _without_separators(Packet.employer).icontains(term, autoescape=True)
        )
    return q


QUEUE_ORDER = (Packet.rank, Packet.received_at, Packet.application_id)  # returns first, then oldest first


def queue(s: Session, *, status: str | None = Status.awaiting_review, track: str | None = None, code: str | None = None, limit: int = 200) -> list[QueueRow]:
    """Packets by recommendation (returns first), then oldest first."""
    return find_packets(s, PacketFilter(status=status, track=track, code=code), page=1, per_page=limit).rows


@dataclass(frozen=True)
class Found:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    per_page: int


def find_packets(s: Session, f: PacketFilter, *, page: int = 1, per_page: int = 50) -> Found:
    """One page of the packets ``f`` selects, in the queue's order, with the number of them all."""
    total = int(s.scalar(_filtered(select(func.count()).select_from(Packet), f)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    q = _filtered(select(Packet), f).order_by(*QUEUE_ORDER).offset((page - 1) * per_page).limit(per_page)
    packets = list(s.scalars(q))
    counts = _finding_counts(s, [p.application_id for p in packets])
    rows = [QueueRow(p, *counts.get(p.application_id, (0, 0))) for p in packets]
    return Found(rows, total, page, pages, per_page)


@dataclass(frozen=True)
class Neighbours:
    previous: str | None
    next: str | None
    position: int | None  # 1-based place in the selection; None when the packet is not in it
    total: int


def neighbours(s: Session, f: PacketFilter, app: str) -> Neighbours:
    """The packets before and after ``app`` in the queue's order among those ``f`` selects (the
    packet itself need not be selected any more, e.g. once decided: its place in the order counts)."""
    packet = s.get(Packet, app)
    total = int(s.scalar(_filtered(select(func.count()).select_from(Packet), f)) or 0)
    if packet is None:
        return Neighbours(None, None, None, total)
    key, mine = tuple_(*QUEUE_ORDER), tuple_(packet.rank, packet.received_at, packet.application_id)
    ids = _filtered(select(Packet.application_id), f)
    previous = s.scalar(ids.where(key < mine).order_by(*(c.desc() for c in QUEUE_ORDER)).limit(1))
    following = s.scalar(ids.where(key > mine).order_by(*QUEUE_ORDER).limit(1))
    position = None
    if s.scalar(ids.where(Packet.application_id == app)) is not None:
        position = int(s.scalar(_filtered(select(func.count()).select_from(Packet), f).where(key < mine)) or 0) + 1
    return Neighbours(previous, following, position, total)


def _finding_counts(s: Session, apps: list[str]) -> dict[str, tuple[int, int]]:
    """Findings of each packet's current report, and how many have no decision: one query."""
    if not apps:
        return {}
    f, d = FindingRow, Decision
    q = (
        select(f.application_id, func.count(f.id), func.count(f.id).filter(d.fingerprint.is_(None)))
        .join(Packet, (Packet.application_id == f.application_id) & (Packet.latest_version == f.version))
        .outerjoin(d, (d.application_id == f.application_id) & (d.fingerprint == f.fingerprint))
        .where(f.application_id.in_(apps))
        .group_by(f.application_id)
    )
    return {app: (total, undecided) for app, total, undecided in s.execute(q)}


def awaiting_review(s: Session) -> set[str]:
    """Prefixes of packets nobody has decided yet (the nightly run re-screens them)."""
    return set(s.scalars(select(Packet.prefix).where(Packet.status == Status.awaiting_review)))


def registered(s: Session) -> set[str]:
    return set(s.scalars(select(Packet.prefix)))


def audit_trail(s: Session, app: str | None = None, limit: int = 500) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if app:
        q = q.where(AuditEntry.application_id == app)
    return list(s.scalars(q))


def counts_by_status(s: Session) -> dict[str, int]:
    return dict(s.execute(select(Packet.status, func.count()).group_by(Packet.status)).all())  # type: ignore[arg-type]


def dumps(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False)
