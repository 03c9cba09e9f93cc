"""``LATE_SUBMISSION`` (after the deadline, or a resubmission past the window) and ``TOO_MANY_ATTEMPTS``."""

from __future__ import annotations

from datetime import timedelta

from pipeline.manifest import Manifest
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    rules = notice.submission
    sub = m.submission
    findings: list[Finding] = []
    at = sub.submitted_at
    cite = notice.cite("submission")
    if rules.deadline and at > rules.deadline:
        findings.append(
            Finding.of(
                FindingCode.LATE_SUBMISSION,
                f"提交时间{_fmt(at)}晚于申报截止时间{_fmt(rules.deadline)}{cite}",
                evidence={"submitted_at": at.isoformat(), "deadline": rules.deadline.isoformat(), "score": 1.0},
            )
        )
    if sub.returned_at is not None:
        window = timedelta(hours=rules.resubmit_within_hours)
        if at - sub.returned_at > window:
            hours = (at - sub.returned_at).total_seconds() / 3600
            findings.append(
                Finding.of(
                    FindingCode.LATE_SUBMISSION,
                    f"退回后{hours:.0f}小时才再次提交，超过{rules.resubmit_within_hours:g}小时的修改时限{cite}",
                    evidence={"returned_at": sub.returned_at.isoformat(), "submitted_at": at.isoformat(), "hours": round(hours, 1), "score": 0.9},
                )
            )
    if sub.attempt > rules.max_attempts:
        findings.append(
            Finding.of(
                FindingCode.TOO_MANY_ATTEMPTS,
                f"这是第{sub.attempt}次提交，超过{rules.max_attempts}次的上限（含初次上报）{cite}",
                evidence={"attempt": sub.attempt, "max_attempts": rules.max_attempts, "score": 1.0},
            )
        )
    late = [f for f in findings if f.code == FindingCode.LATE_SUBMISSION]
    items = (
        ChecklistItem(item="在时限内提交", state="problem" if late else "ok", detail="；".join(f.message for f in late), codes=tuple({f.code for f in late})),
        ChecklistItem(
            item=f"提交次数不超过{rules.max_attempts}次",
            state="problem" if sub.attempt > rules.max_attempts else "ok",
            detail=f"第{sub.attempt}次提交",
        ),
    )
    return CheckResult(findings=tuple(findings), checklist=items)


def _fmt(dt) -> str:  # noqa: ANN001
    return dt.strftime("%Y年%m月%d日%H:%M")
