"""What an export holds: packet decisions taken in a date range (or only each packet's latest), and
the findings auditors confirmed in those packets' current reports.

Applicant names are exported only where the notice allows them to travel: the 2025 tracks. On
``review`` (2024 notice) names and employers are masked for the expert review, so an export
leaves them out and blanks them wherever they appear in a message, a reason or a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.reviewdb import NAME_SEPARATORS, AuditEntry, Decision, FindingDecision, FindingRow, Packet, ReportVersion, User
from storage.stats import DECISIONS, day_bounds

MAX_ROWS = 50_000
MASKED_TRACKS = frozenset({"review"})
BLANK = "＊＊＊"
DECISION_KINDS = {"pass": "packet_pass", "return": "packet_return", "escalate": "packet_escalate"}


@dataclass(frozen=True)
class ExportFilter:
    start: date
    end: date
    track: str | None = None
    decision: str | None = None  # pass | return | escalate; None = all
    latest_only: bool = True  # only each packet's latest decision (a list for the committee)


@dataclass(frozen=True)
class DecisionRow:
    application_id: str
    track: str
    applicant: str  # empty where names are not exported
    employer: str
    recommendation: str  # of the report version decided on
    decision: str  # pass | return | escalate
    status: str  # the packet's status now
    auditor: str
    at: datetime
    report_version: str
    comment: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FindingExportRow:
    application_id: str
    track: str
    applicant: str
    code: str
    severity: str
    slot: str
    page: int | None
    message: str
    auditor: str
    at: datetime
    comment: str


@dataclass(frozen=True)
class Export:
    decisions: list[DecisionRow]
    findings: list[FindingExportRow]
    names_included: bool  # some row carries an applicant's name


class TooLarge(ValueError):
    pass


def names_allowed(track: str) -> bool:
    return track not in MASKED_TRACKS


def blank_names(text: str, name: str, employer: str) -> str:
    """``text`` with the applicant's name (with or without its separators) and employer blanked."""
    plain = "".join(ch for ch in name if ch not in NAME_SEPARATORS)
    for word in sorted({name, plain, employer} - {""}, key=len, reverse=True):
        if len(word) >= 2:
            text = text.replace(word, BLANK)
    return text


def export_rows(s: Session, f: ExportFilter) -> Export:
    lo, hi = day_bounds(min(f.start, f.end), max(f.start, f.end))
    actions = [DECISION_KINDS[f.decision]] if f.decision in DECISION_KINDS else list(DECISIONS)
    q = (
        select(AuditEntry, Packet, ReportVersion.recommendation)
        .join(Packet, Packet.application_id == AuditEntry.application_id)
        .outerjoin(ReportVersion, (ReportVersion.application_id == AuditEntry.application_id) & (ReportVersion.version == AuditEntry.report_version))
        .where(AuditEntry.action.in_(actions), AuditEntry.at >= lo, AuditEntry.at < hi)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    if f.latest_only:
        latest = select(func.max(AuditEntry.id)).where(AuditEntry.action.in_(DECISIONS)).group_by(AuditEntry.application_id)
        q = q.where(AuditEntry.id.in_(latest))
    if f.track:
        q = q.where(Packet.track == f.track)
    found = s.execute(q.limit(MAX_ROWS + 1)).all()
    if len(found) > MAX_ROWS:
        raise TooLarge(f"超过 {MAX_ROWS} 条，请缩小日期范围或加上筛选条件")
    names = dict(s.execute(select(User.username, User.display_name)).all())
    decisions: list[DecisionRow] = []
    packets: dict[str, Packet] = {}
    for entry, packet, recommendation in found:
        packets[packet.application_id] = packet
        shown, hide = _applicant(packet)
        detail = entry.detail or {}
        decisions.append(
            DecisionRow(
                application_id=packet.application_id,
                track=packet.track,
                applicant=shown,
                employer=packet.employer if names_allowed(packet.track) else "",
                recommendation=recommendation or "",
                decision=entry.action.removeprefix("packet_"),
                status=packet.status,
                auditor=_who(entry.actor, names),
                at=entry.at,
                report_version=entry.report_version or "",
                comment=hide(str(detail.get("comment") or "")),
                reasons=tuple(hide(str(r)) for r in detail.get("reasons") or ()),
            )
        )
    return Export(decisions, _confirmed(s, packets, names), any(names_allowed(p.track) and p.applicant_name for p in packets.values()))


def _applicant(packet: Packet) -> tuple[str, Callable[[str], str]]:
    if names_allowed(packet.track):
        return packet.applicant_name, lambda text: text
    return "", lambda text: blank_names(text, packet.applicant_name, packet.employer)


def _who(username: str, names: dict[str, str]) -> str:
    shown = names.get(username)
    return f"{shown}（{username}）" if shown and shown != username else username


def _confirmed(s: Session, packets: dict[str, Packet], names: dict[str, str]) -> list[FindingExportRow]:
    """The confirmed findings of these packets' current reports, packet by packet in the order of
    ``packets`` (the decisions' order), each packet's in report order."""
    found: list[tuple[FindingRow, Decision]] = []
    ids = list(packets)
    for i in range(0, len(ids), 500):  # bounded IN lists
        q = (
            select(FindingRow, Decision)
            .join(Packet, (Packet.application_id == FindingRow.application_id) & (Packet.latest_version == FindingRow.version))
            .join(Decision, (Decision.application_id == FindingRow.application_id) & (Decision.fingerprint == FindingRow.fingerprint))
            .where(FindingRow.application_id.in_(ids[i : i + 500]), Decision.decision == FindingDecision.confirmed.value)
        )
        found.extend(s.execute(q).tuples())
    rank = {app: i for i, app in enumerate(ids)}
    found.sort(key=lambda rd: (rank[rd[0].application_id], rd[0].position))
    out = []
    for row, decision in found:
        packet = packets[row.application_id]
        shown, hide = _applicant(packet)
        out.append(
            FindingExportRow(
                application_id=row.application_id,
                track=packet.track,
                applicant=shown,
                code=row.code,
                severity=row.severity,
                slot=row.slot or "",
                page=row.page,
                message=hide(row.message or ""),
                auditor=_who(decision.auditor, names),
                at=decision.decided_at,
                comment=hide(decision.comment or ""),
            )
        )
    return out
