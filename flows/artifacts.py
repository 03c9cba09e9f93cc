"""Markdown for the Prefect UI's artifacts. Everything that came from an applicant (file names,
messages quoting OCR text, folder names, error text) is escaped: in the UI it is text, never a
link, an image, a table cell boundary or markup."""

from __future__ import annotations

import re

from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS, SLOT_LABELS, without_direction_controls
from pipeline.models import Report
from prescreen.settings import Settings

# ASCII punctuation, which markdown lets escape with a backslash; "/" alone means nothing once "<" and ":" are escaped
_PUNCTUATION = re.compile(r"([!-.:-@\[-`{-~])")


def md(text: object) -> str:
    """``text`` as literal markdown on one line: ASCII punctuation (but "/") backslash-escaped, line breaks as spaces,
    no direction overrides (shown in the order it was typed)."""
    line = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(without_direction_controls(str(text))))
    return _PUNCTUATION.sub(r"\\\1", line)


def report_artifact(report: Report, version: str, status: str) -> str:
    """A short summary for the Prefect UI: recommendation, findings table, link to the review page."""
    link = f"{Settings().review_url.rstrip('/')}/packets/{report.application_id}"
    rows = [
        f"| {md(CODE_LABELS.get(f.code, f.code))} | {f.severity.value} | {md(SLOT_LABELS.get(f.slot, '') if f.slot else '')} | "
        f"{f.page or ''} | {md(f.message)} |"
        for f in report.findings
    ]
    table = ["| 问题 | 级别 | 材料 | 页 | 说明 |", "|---|---|---|---|---|", *rows] if rows else ["未发现问题。"]
    return "\n".join(
        [
            f"### {md(report.application_id)}：{md(RECOMMENDATION_LABELS[report.recommendation])}",
            f"报告版本 {md(version)} · 审核状态 {md(status)} · [打开审核页面](<{link}>)",
            "",
            *table,
        ]
    )
