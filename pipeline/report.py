"""The report: what each page and file says of itself, deduplicated findings, the recommendation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import cv2
import numpy as np

from pipeline import __version__, fingerprint
from pipeline.build import code_digest
from pipeline.context import Engines, FileResult, PageResult
from pipeline.doctypes import STRONG, classify
from pipeline.errors import BadPageError, UnreadableFileError
from pipeline.manifest import Manifest, Slot
from pipeline.models import (
    CheckResult,
    DocumentInfo,
    EngineInfo,
    Finding,
    FindingCode,
    Page,
    PageInfo,
    Recommendation,
    Report,
    Severity,
    TextLine,
)
from pipeline.reading import unreadable
from pipeline.rules import Notice

# ---------------------------------------------------------------- pages


def page_result(page: Page, findings: Iterable[Finding], thumbnail_px: int, thumbnail_quality: int) -> PageResult:
    """What the report keeps of a screened page: its info, text, findings and a small thumbnail."""
    kind = classify(page.lines)
    m = page.metrics
    info = PageInfo(
        type=kind.type.value if kind.type and kind.score >= STRONG else None,
        page=page.number,
        rotation=page.rotation,  # type: ignore[arg-type]
        sharpness=_sharpness(m.blur_px),
        width=int(round(m.orig_width)),
        height=int(round(m.orig_height)),
        dpi=round(page.dpi, 1) if page.dpi else None,
        text_source=_text_source(page.lines),
        chars=sum(len(ln.text) for ln in page.lines),
    )
    return PageResult(
        slot=page.slot,
        file=page.file,
        info=info,
        lines=page.lines,
        findings=tuple(findings),
        thumbnail=thumbnail(page.image, thumbnail_px, thumbnail_quality),
        fingerprint=fingerprint.of(page.image),
    )


def failed_page(slot: Slot, file: str, number: int, exc: BaseException, reason: str = "") -> PageResult:
    """A page that could not be screened: recorded in the report, the rest of the packet goes on.

    A damaged page, or one past the limits, is the file's fault (``UNREADABLE_FILE``); anything
    else is the screening's (``SCREENING_ERROR``, for the auditor to look at)."""
    if isinstance(exc, BadPageError):
        finding = unreadable(slot, file, exc, page=number)
    else:
        finding = Finding.of(
            FindingCode.SCREENING_ERROR,
            f"本页无法自动检查（{reason or _reason(exc)}），请人工审核",
            slot=slot,
            file=file,
            page=number,
            evidence={"error": str(exc)[:300]},
        )
    return PageResult(slot=slot, file=file, info=PageInfo(page=number, error=str(exc)[:300]), findings=(finding,))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnreadableFileError):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return "超过单页检查时间预算"
    return type(exc).__name__


def _sharpness(blur: float) -> float:
    """Report scale: 100 / blur_px, so ~120 for a clean scan and below ~43 for an unreadable one."""
    return 0.0 if not np.isfinite(blur) or blur <= 0 else round(100.0 / blur, 1)


def _text_source(lines: tuple[TextLine, ...]) -> str:
    sources = {ln.source for ln in lines}
    if sources == {"pdf", "ocr"}:
        return "pdf+ocr"
    return next(iter(sources)) if sources else "none"


def thumbnail(image: np.ndarray, max_px: int, quality_: int) -> bytes:
    h, w = image.shape[:2]
    s = min(1.0, max_px / max(h, w))
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality_])
    return buf.tobytes() if ok else b""


# ---------------------------------------------------------------- files and the packet


def file_result(
    slot: Slot,
    file: str,
    fmt: str | None,
    page_count: int | None,
    pages: Iterable[PageResult],
    findings: Iterable[Finding],
    sha256: str | None = None,
) -> FileResult:
    pages = tuple(pages)
    info = DocumentInfo(
        slot=slot, file=file, format=fmt, page_count=page_count, sha256=sha256, pages=tuple(p.info for p in pages)
    )
    return FileResult(document=info, pages=pages, findings=tuple(findings))


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (code, slot, file, page), the one with the strongest evidence, in first-seen order."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        kept = best.get(f.key)
        if kept is None or f.strength > kept.strength:
            best[f.key] = f
    return list(best.values())


def recommend(findings: Iterable[Finding]) -> Recommendation:
    severities = {f.severity for f in findings}
    if Severity.error in severities:
        return Recommendation.return_to_applicant
    if Severity.warning in severities:
        return Recommendation.needs_review
    return Recommendation.pass_


def build_report(
    manifest: Manifest,
    files: Iterable[FileResult],
    packet: CheckResult,
    engine: EngineInfo,
    now: datetime | None = None,
) -> Report:
    files = list(files)
    all_findings = [f for fr in files for f in fr.findings]
    all_findings += [f for fr in files for p in fr.pages for f in p.findings]
    all_findings += list(packet.findings)
    findings = dedupe(all_findings)
    return Report(
        checklist=packet.checklist,
        application_id=manifest.application_id,
        track=manifest.track,
        recommendation=recommend(findings),
        findings=tuple(findings),
        documents=tuple(fr.document for fr in files),
        generated_at=now or datetime.now(UTC),
        engine=engine,
    )


def engine_info(engines: Engines, notice: Notice) -> EngineInfo:
    return EngineInfo(
        prescreen=__version__,
        ocr=engines.ocr.name,
        orientation=engines.orientation.name,
        rules=notice.version,
        build=code_digest(),
    )
