"""A review database filled through its own functions (record_report, decide_finding, decide_packet)
at chosen moments: packets, reports, findings and decisions whose figures a test knows in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from pipeline.manifest import Applicant
from pipeline.models import DocumentInfo, EngineInfo, Finding, FindingCode, PageInfo, Report
from pipeline.report import recommend
from storage.reviewdb import decide_finding, decide_packet, fingerprints, record_report

BJ = timezone(timedelta(hours=8))
FILE = "scan.jpg"


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing time in June 2025."""
    return datetime(2025, 6, day, hour, minute, tzinfo=BJ)


class Clock:
    """The review database's clock (``storage.reviewdb.now``), set by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.t = datetime(2025, 6, 1, tzinfo=UTC)
        monkeypatch.setattr("storage.reviewdb.now", lambda: self.t.astimezone(UTC))

    def at(self, when: datetime) -> Clock:
        self.t = when
        return self


def finding(code: FindingCode, message: str = "", located: bool = True, page: int = 1) -> Finding:
    if not located:
        return Finding.of(code, message or f"{code.value} 问题")
    return Finding.of(code, message or f"{code.value} 问题", slot="diploma", file=FILE, page=page, bbox=(0.1, 0.2, 0.5, 0.3))


def report(app: str, track: str, findings: list[Finding], sha: str = "a" * 64, when: datetime | None = None, pages: int = 1) -> Report:
    info = tuple(PageInfo(page=n, sharpness=100.0, width=850, height=1200, text_source="ocr") for n in range(1, pages + 1))
    return Report(
        application_id=app,
        track=track,
        recommendation=recommend(tuple(findings)),
        findings=tuple(findings),
        documents=(DocumentInfo(slot="diploma", file=FILE, format="jpeg", page_count=pages, sha256=sha, pages=info),),
        generated_at=when or datetime(2025, 6, 1, tzinfo=UTC),
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="r", build="b"),
    )


def applicant(name: str, employer: str) -> Applicant:
    return Applicant.model_validate({"name": name, "employer": employer, "employer_type": "public_institution", "education": {"level": "bachelor"}})


def record(
    s: Session, clock: Clock, when: datetime, r: Report, version: str, received: datetime, who: Applicant | None = None
) -> list[str]:
    """Record ``r`` as published at ``when``; returns its findings' fingerprints."""
    clock.at(when)
    record_report(s, f"uploads/{r.application_id}", r, version, received_at=received, applicant=who)
    return fingerprints(r)


def decide(s: Session, clock: Clock, when: datetime, app: str, fingerprint: str, decision: str, version: str, who: str = "li") -> None:
    clock.at(when)
    decide_finding(s, app, fingerprint, decision, "误报" if decision == "dismissed" else "", who, seen_version=version)


def conclude(s: Session, clock: Clock, when: datetime, app: str, decision: str, version: str, who: str = "li", reasons: list[str] | None = None, comment: str = "") -> None:
    clock.at(when)
    decide_packet(s, app, decision, comment or ("请补正" if decision != "pass" else ""), reasons or [], who, seen_version=version)


def publish(store, s: Session, clock: Clock, when: datetime, r: Report, received: datetime, who: Applicant | None = None) -> str:  # noqa: ANN001
    """Publish ``r`` in the store (report and page images, so its pages open) and record it; returns its version."""
    from pipeline.context import PageResult, ScreenResult
    from storage.reports import publish_result
    from tests.reviewkit import page_image

    doc = r.documents[0]
    pages = [PageResult(slot=doc.slot, file=doc.file, info=info, thumbnail=page_image()) for info in doc.pages]
    version = publish_result(store, f"uploads/{r.application_id}", ScreenResult(report=r, pages=pages)).version
    record(s, clock, when, r, version, received, who)
    return version
