"""Review database: reports registered per version, decisions surviving identical re-screens,
changed findings coming back, the queue's order and filters, and an audit log that cannot be edited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from pipeline.errors import InputError
from pipeline.models import DocumentInfo, EngineInfo, Finding, FindingCode, PageInfo, Recommendation, Report
from pipeline.report import recommend
from storage.migrate import upgrade
from storage.reviewdb import (
    AppendOnlyError,
    AuditEntry,
    Packet,
    ReviewDB,
    Status,
    audit_trail,
    awaiting_review,
    decide_finding,
    decide_packet,
    decisions,
    fingerprints,
    queue,
    record_report,
)

T0 = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)


def report(app="2024-A", track="review", findings=(), sha="a" * 64, when=T0) -> Report:
    findings = tuple(findings)
    return Report(
        application_id=app,
        track=track,
        recommendation=recommend(findings),
        findings=findings,
        documents=(DocumentInfo(slot="diploma", file="d.jpg", format="jpeg", page_count=1, sha256=sha, pages=(PageInfo(page=1),)),),
        generated_at=when,
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="r", build="b"),
    )


def name_finding(msg="姓名“阿依古丽”未遮盖", box=(0.1, 0.2, 0.3, 0.25)) -> Finding:
    return Finding.of(FindingCode.UNMASKED_NAME, msg, slot="diploma", file="d.jpg", page=1, bbox=box)


def tilt() -> Finding:
    return Finding.of(FindingCode.ROTATED, "页面方向不正", slot="diploma", file="d.jpg", page=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/r.db"
    else:
        url = request.getfixturevalue("pg_database")
    upgrade(url)
    db = ReviewDB(url)
    yield db
    db.engine.dispose()


def test_dismissed_finding_stays_dismissed_on_identical_rescreen_and_changed_one_comes_back(db):
    first = report(findings=[name_finding(), tilt()])
    with db.session() as s:
        record_report(s, "uploads/2024-A", first, "v1")
        fp_name, fp_tilt = fingerprints(first)
        decide_finding(s, "2024-A", fp_name, "dismissed", "已遮盖，系误报", "li", seen_version="v1")
        decide_finding(s, "2024-A", fp_tilt, "confirmed", "", "li", seen_version="v1")
        decide_packet(s, "2024-A", "pass", "", [], "li", seen_version="v1")
    # the identical findings again (a nightly re-screen with new rules elsewhere): nothing to review
    with db.session() as s:
        rec = record_report(s, "uploads/2024-A", report(findings=[name_finding(), tilt()], when=T0 + timedelta(days=1)), "v2")
        assert rec.undecided == 0 and not rec.reopened and rec.status is Status.passed
        assert decisions(s, "2024-A")[fp_name].decision == "dismissed"
    # the name finding changed (another place on the page): it comes back, the packet is reopened
    moved = report(findings=[name_finding(box=(0.5, 0.6, 0.7, 0.65)), tilt()], when=T0 + timedelta(days=2))
    with db.session() as s:
        rec = record_report(s, "uploads/2024-A", moved, "v3")
        assert rec.reopened and rec.undecided == 1 and rec.status is Status.awaiting_review
        assert fingerprints(moved)[1] == fp_tilt and fingerprints(moved)[0] != fp_name


def test_new_file_bytes_reopen_a_decided_packet_even_with_no_findings(db):
    with db.session() as s:
        record_report(s, "uploads/2024-A", report(findings=[tilt()]), "v1")
        decide_finding(s, "2024-A", fingerprints(report(findings=[tilt()]))[0], "confirmed", "", "li", seen_version="v1")
        decide_packet(s, "2024-A", "return", "", ["方向不正"], "li", seen_version="v1")
        rec = record_report(s, "uploads/2024-A", report(findings=[], sha="b" * 64, when=T0 + timedelta(days=3)), "v2")
        assert rec.reopened and rec.status is Status.awaiting_review
        assert "uploads/2024-A" in awaiting_review(s)
        # the same finding on other bytes is a new finding
        assert fingerprints(report(findings=[tilt()], sha="b" * 64)) != fingerprints(report(findings=[tilt()]))


def test_decisions_are_checked(db):
    with db.session() as s:
        r = report(findings=[tilt()])
        record_report(s, "uploads/2024-A", r, "v1")
        with pytest.raises(InputError):
            decide_finding(s, "2024-A", fingerprints(r)[0], "dismissed", "  ", "li", seen_version="v1")  # a dismissal needs a reason
        with pytest.raises(InputError):
            decide_finding(s, "2024-A", "0" * 20, "confirmed", "", "li", seen_version="v1")  # not in the current report
        with pytest.raises(InputError):
            decide_packet(s, "2024-A", "return", "", [], "li", seen_version="v1")  # returning needs reasons
        with pytest.raises(InputError):
            decide_packet(s, "2024-A", "delete", "x", [], "li", seen_version="v1")
        with pytest.raises(InputError):
            decide_packet(s, "2024-NONE", "pass", "", [], "li", seen_version="v1")
        assert decide_packet(s, "2024-A", "escalate", "需上级判断", [], "li", seen_version="v1") is Status.escalated


def test_same_version_recorded_twice_is_one_version(db):
    with db.session() as s:
        record_report(s, "uploads/2024-A", report(findings=[tilt()]), "v1")
        record_report(s, "uploads/2024-A", report(findings=[tilt()]), "v1")  # a retried task
        assert len([e for e in audit_trail(s, "2024-A") if e.action == "report_published"]) == 1
        with pytest.raises(InputError):
            record_report(s, "uploads/elsewhere", report(findings=[tilt()]), "v9")


def test_queue_orders_by_recommendation_then_age_and_filters(db):
    with db.session() as s:
        record_report(s, "u/old-pass", report("old-pass", when=T0), "v1", received_at=T0 - timedelta(days=9))
        record_report(s, "u/new-ret", report("new-ret", findings=[name_finding()]), "v1", received_at=T0)
        record_report(s, "u/old-ret", report("old-ret", findings=[name_finding()]), "v1", received_at=T0 - timedelta(days=5))
        record_report(s, "u/rev", report("rev", track="initial_junior", findings=[tilt()]), "v1", received_at=T0 - timedelta(days=7))
        rows = queue(s)
        assert [r.packet.application_id for r in rows] == ["old-ret", "new-ret", "rev", "old-pass"]
        assert [(r.findings, r.undecided) for r in rows] == [(1, 1), (1, 1), (1, 1), (0, 0)]
        decide_finding(s, "new-ret", fingerprints(report("new-ret", findings=[name_finding()]))[0], "confirmed", "", "li", seen_version="v1")
        assert [(r.findings, r.undecided) for r in queue(s)][1] == (1, 0)
        assert [r.packet.application_id for r in queue(s, track="initial_junior")] == ["rev"]
        assert [r.packet.application_id for r in queue(s, code="UNMASKED_NAME")] == ["old-ret", "new-ret"]
        decide_packet(s, "rev", "pass", "", [], "li", seen_version="v1")
        assert "rev" not in [r.packet.application_id for r in queue(s)]
        assert [r.packet.application_id for r in queue(s, status="passed")] == ["rev"]
        assert s.get(Packet, "new-ret").recommendation == Recommendation.return_to_applicant


def test_audit_log_records_who_what_when_version_and_cannot_be_changed(db):
    with db.session() as s:
        r = report(findings=[tilt()])
        record_report(s, "uploads/2024-A", r, "v1")
        decide_finding(s, "2024-A", fingerprints(r)[0], "confirmed", "确实倒置", "wang", seen_version="v1")
        decide_packet(s, "2024-A", "return", "", ["页面方向不正"], "wang", seen_version="v1")
    with db.session() as s:
        trail = list(reversed(audit_trail(s, "2024-A")))
        assert [(e.actor, e.action, e.report_version) for e in trail] == [
            ("system", "report_published", "v1"),
            ("wang", "finding_confirmed", "v1"),
            ("wang", "packet_return", "v1"),
        ]
        assert trail[2].detail["reasons"] == ["页面方向不正"] and trail[1].at.tzinfo is not None
    with pytest.raises(AppendOnlyError), db.session() as s:
        s.scalars(select(AuditEntry)).first().actor = "someone else"
    with pytest.raises(AppendOnlyError), db.session() as s:
        s.delete(s.scalars(select(AuditEntry)).first())
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
    with db.session() as s:
        assert len(audit_trail(s, "2024-A")) == 3 and {e.actor for e in audit_trail(s, "2024-A")} == {"system", "wang"}
