"""What an export holds: packet decisions taken in a date range (or only each packet's latest), and
the findings auditors confirmed in those packets' current reports.

Applicant names are exported only where the notice allows them to travel: the 2025 tracks. On
``review`` (2024 notice) names and employers are masked for the expert review, so an export
leaves them out and blanks them wherever they appear in a message, a reason or a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime
from typing import Any

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


def _plain_words(name: str, employer: str) -> tuple[str, ...]:
    """The name and employer without separators, longest first (two characters at least)."""
    plain = {"".join(ch for ch in w if ch not in NAME_SEPARATORS) for w in (name, employer)}
    return tuple(sorted((w for w in plain if len(w) >= 2), key=len, reverse=True))


def _blank(text: str, words: tuple[str, ...]) -> str:
    """Blank each occurrence of ``words`` in ``text``, however separators (·, ・, a dot, a space)
    are put between their characters: the words are looked for in the text without separators,
    and the matching stretch of the text itself is replaced."""
    if not words or not text:
        return text
    keep = [i for i, ch in enumerate(text) if ch not in NAME_SEPARATORS]
    stripped = "".join(text[i] for i in keep)
    spans = []
    for word in words:
        at = stripped.find(word)
        while at != -1:
            spans.append((keep[at], keep[at + len(word) - 1] + 1))
            at = stripped.find(word, at + len(word))
    if not spans:
        return text
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:  # inside a stretch already blanked
            pos = max(pos, end)
            continue
        out += [text[pos:start], BLANK]
        pos = end
    return "".join(out) + text[pos:]


def blank_names(text: str, name: str, employer: str) -> str:
    """``text`` with the applicant's name and employer blanked, however the name's parts are joined
    (·, ・, a dot, a space or nothing: as OCR and people write it)."""
    return _blank(text, _plain_words(name, employer))


def export_rows(s: Session, f: ExportFilter, *, findings: bool = True) -> Export:
    """The decisions ``f`` selects and (unless ``findings`` is False) the confirmed findings of their packets."""
    lo, hi = day_bounds(min(f.start, f.end), max(f.start, f.end))
    actions = [DECISION_KINDS[f.decision]] if f.decision in DECISION_KINDS else list(DECISIONS)
    a, p = AuditEntry, Packet
    chosen = (
        select(a.id)
        .join(p, p.application_id == a.application_id)
        .where(a.action.in_(actions), a.at >= lo, a.at < hi)
    )
    if f.latest_only:
        chosen = chosen.where(a.id.in_(select(func.max(a.id)).where(a.action.in_(DECISIONS)).group_by(a.application_id)))
    if f.track:
        chosen = chosen.where(p.track == f.track)
    q = (
        select(a.application_id, a.action, a.actor, a.at, a.report_version, a.detail, p.track, p.applicant_name, p.employer, p.status, ReportVersion.recommendation)
        .join(p, p.application_id == a.application_id)
        .outerjoin(ReportVersion, (ReportVersion.application_id == a.application_id) & (ReportVersion.version == a.report_version))
        .where(a.id.in_(chosen))
        .order_by(a.at, a.id)
        .limit(MAX_ROWS + 1)
    )
    found = s.execute(q).all()
    if len(found) > MAX_ROWS:
        raise TooLarge(f"超过 {MAX_ROWS} 条，请缩小日期范围或加上筛选条件")
    names = dict(s.execute(select(User.username, User.display_name)).all())
    decisions: list[DecisionRow] = []
    packets: dict[str, Applicant] = {}
    for r in found:
        who = packets.setdefault(r.application_id, Applicant(r.track, r.applicant_name, r.employer))
        detail = r.detail or {}
        decisions.append(
            DecisionRow(
                application_id=r.application_id,
                track=r.track,
                applicant=who.shown_name,
                employer=who.shown_employer,
                recommendation=r.recommendation or "",
                decision=r.action.removeprefix("packet_"),
                status=r.status,
                auditor=_who(r.actor, names),
                at=r.at,
                report_version=r.report_version or "",
                comment=who.hide(str(detail.get("comment") or "")),
                reasons=tuple(who.hide(str(x)) for x in detail.get("reasons") or ()),
            )
        )
    confirmed = _confirmed(s, chosen, packets, names) if findings else []
    return Export(decisions, confirmed, any(w.shown_name for w in packets.values()))


@dataclass(frozen=True)
class Applicant:
    """A packet's applicant as an export may show it."""

    track: str
    name: str
    employer: str

    @property
    def shown_name(self) -> str:
        return self.name if names_allowed(self.track) else ""

    @property
    def shown_employer(self) -> str:
        return self.employer if names_allowed(self.track) else ""

    @cached_property
    def _words(self) -> tuple[str, ...]:
        return _plain_words(self.name, self.employer)

    def hide(self, text: str) -> str:
        return text if names_allowed(self.track) else _blank(text, self._words)


def _who(username: str, names: dict[str, str]) -> str:
    shown = names.get(username)
    return f"{shown}（{username}）" if shown and shown != username else username


def _confirmed(s: Session, chosen: Any, packets: dict[str, Applicant], names: dict[str, str]) -> list[FindingExportRow]:
    """The confirmed findings of the exported packets' current reports, packet by packet in the
    decisions' order, each packet's in report order (one query, columns only)."""
    f, d, p = FindingRow, Decision, Packet
    apps = select(AuditEntry.application_id).where(AuditEntry.id.in_(chosen))
    q = (
        select(f.application_id, f.position, f.code, f.severity, f.slot, f.page, f.message, d.auditor, d.decided_at, d.comment)
        .join(p, (p.application_id == f.application_id) & (p.latest_version == f.version))
        .join(d, (d.application_id == f.application_id) & (d.fingerprint == f.fingerprint))
        .where(p.application_id.in_(apps), d.decision == FindingDecision.confirmed.value)  # on packets: SQLite plans it well
    )
    rank = {app: i for i, app in enumerate(packets)}
    found = sorted(s.execute(q).all(), key=lambda r: (rank[r.application_id], r.position))
    out = []
    for r in found:
        who = packets[r.application_id]
        out.append(
            FindingExportRow(
                application_id=r.application_id,
                track=who.track,
                applicant=who.shown_name,
                code=r.code,
                severity=r.severity,
                slot=r.slot or "",
                page=r.page,
                message=who.hide(r.message or ""),
                auditor=_who(r.auditor, names),
                at=r.decided_at,
                comment=who.hide(r.comment or ""),
            )
        )
    return out
