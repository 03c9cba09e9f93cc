"""Helpers shared by the packet-level rules: text of a slot's files, years to cover."""

from __future__ import annotations

from datetime import date

from pipeline.extract import Located
from pipeline.manifest import Manifest, Slot
from pipeline.models import Finding
from pipeline.context import FileResult

CLARITY_CODES = {"BLURRY", "LOW_RESOLUTION", "WRONG_DOCUMENT", "SCREENING_ERROR", "UNREADABLE_FILE"}


def slot_files(files: list[FileResult], slot: Slot) -> list[FileResult]:
    return [f for f in files if f.document.slot == slot]


def located(file: FileResult) -> list[Located]:
    """Every text line of a file with its page number, in reading order."""
    return [Located(p.info.page, ln) for p in file.pages for ln in sorted(p.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))]


def readable(file: FileResult) -> bool:
    """At least one page was screened and judged readable (an unreadable file has no pages)."""
    return any(not any(f.code.value in CLARITY_CODES for f in p.findings) for p in file.pages)


def completed_years(m: Manifest, count: int) -> list[int]:
    """The ``count`` most recent calendar years completed before the submission, newest first."""
    last = m.submission.submitted_at.date().year - 1
    return [last - i for i in range(count)]


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def merged(findings: list[Finding]) -> tuple[Finding, ...]:
    """One finding per (code, slot, file, page), as the report keeps: same-key findings are joined
    into one message listing every item, so deduplication loses nothing."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.key, []).append(f)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        first = group[0]
        cite = first.message[first.message.rfind("（依据") :] if "（依据" in first.message else ""
        if cite and all(f.message.endswith(cite) for f in group):
            message = "；".join(f.message[: -len(cite)] for f in group) + cite
        else:
            message = "；".join(f.message for f in group)
        out.append(
            first.model_copy(
                update={
                    "message": message,
                    "bbox": first.bbox if all(f.bbox == first.bbox for f in group) else None,
                    "evidence": {"items": [f.evidence for f in group], "score": max(f.strength for f in group)},
                }
            )
        )
    return tuple(out)
