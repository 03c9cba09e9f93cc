"""``LATE_SUBMISSION``: outside the notice's window (before it opens or after its deadline), or a
resubmission later than the notice allows after a return. ``TOO_MANY_ATTEMPTS``: more submissions
than the notice allows, counted as that notice counts them (2024: returns, 2025: submissions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.manifest import CHINA_TZ, Manifest
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice, SubmissionRules
from pipeline.context import FileResult


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    rules = notice.submission
    sub = m.submission
    at = sub.submitted_at
    late: list[Finding] = []
    if rules.opens and at < rules.opens:
        late.append(
            Finding.of(
                FindingCode.LATE_SUBMISSION,
                f"申报于{_fmt(at)}提交，早于申报系统开放受理的{_fmt(rules.opens)}，不在申报时间内{notice.cite('opens')}",
                evidence={"submitted_at": at.isoformat(), "opens": rules.opens.isoformat(), "window": "before_open", "score": 1.0},
            )
        )
    if rules.deadline and at > rules.deadline:
        late.append(
            Finding.of(
                FindingCode.LATE_SUBMISSION,
                f"申报于{_fmt(at)}提交，已过{_fmt(rules.deadline)}的申报截止时间{notice.cite('deadline')}",
                evidence={"submitted_at": at.isoformat(), "deadline": rules.deadline.isoformat(), "window": "after_deadline", "score": 1.0},
            )
        )
    if sub.returned_at is not None:
        window = timedelta(hours=rules.resubmit_within_hours)
        if at - sub.returned_at > window:
            hours = (at - sub.returned_at).total_seconds() / 3600
            late.append(
                Finding.of(
                    FindingCode.LATE_SUBMISSION,
                    f"材料于{_fmt(sub.returned_at)}退回，{_fmt(at)}才再次提交，相隔约{hours:.0f}小时，"
                    f"超过退回后{rules.resubmit_within_hours:g}小时内再次提交的时限{notice.cite('resubmission')}",
                    evidence={
                        "returned_at": sub.returned_at.isoformat(),
                        "submitted_at": at.isoformat(),
                        "hours": round(hours, 1),
                        "window": "resubmission",
                        "score": 0.9,
                    },
                )
            )
    attempts = _attempts(m, notice, rules)
    findings = [*late, *attempts]
    items = (
        ChecklistItem(
            item=_window_item(rules),
            state="problem" if late else "ok",
            detail="；".join(f.message for f in late) or f"{_fmt(at)}提交",
            codes=(FindingCode.LATE_SUBMISSION,) if late else (),
        ),
        ChecklistItem(
            item=f"提交次数符合“{rules.attempts_rule}”" if rules.attempts_rule else "提交次数",
            state="problem" if attempts else "ok",
            detail=f"第{sub.attempt}次提交" + (f"（此前被退回{sub.attempt - 1}次）" if sub.attempt > 1 else ""),
            codes=(FindingCode.TOO_MANY_ATTEMPTS,) if attempts else (),
        ),
    )
    return CheckResult(findings=tuple(findings), checklist=items)


def _attempts(m: Manifest, notice: Notice, rules: SubmissionRules) -> list[Finding]:
    allowed = rules.attempts_allowed
    n = m.submission.attempt
    if allowed is None or n <= allowed:
        return []
    quote = f"“{rules.attempts_rule}”" if rules.attempts_rule else f"最多提交{allowed}次"
    if rules.max_returns is not None:
        text = f"这是第{n}次提交，此前已被退回{n - 1}次；通知规定{quote}，本次提交不应再受理"
    else:
        text = f"这是第{n}次提交；通知规定{quote}，本次提交超出了允许的次数"
    return [
        Finding.of(
            FindingCode.TOO_MANY_ATTEMPTS,
            text + notice.cite("attempts"),
            evidence={"attempt": n, "attempts_allowed": allowed, "rule": rules.attempts_rule, "score": 1.0},
        )
    ]


def _window_item(rules: SubmissionRules) -> str:
    resubmit = f"退回后{rules.resubmit_within_hours:g}小时内再次提交"
    if rules.opens and rules.deadline:
        return f"在申报时间内提交（{_fmt(rules.opens)}起至{_fmt(rules.deadline)}前），{resubmit}"
    if rules.deadline:
        return f"在{_fmt(rules.deadline)}前提交，{resubmit}"
    return resubmit


def _fmt(dt: datetime) -> str:
    """Beijing time, as the notices state their times."""
    dt = dt.astimezone(CHINA_TZ)
    return f"{dt.year}年{dt.month}月{dt.day}日{dt.hour:02d}:{dt.minute:02d}"
