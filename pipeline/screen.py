"""Screening, step by step: decode a file, turn each page upright, read it once, measure it, run the detectors.

Each step is a plain function of its inputs; ``screen_packet`` is the whole recipe in plain
loops (what the command line runs), and ``flows/`` wraps the same steps as Prefect tasks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from pipeline import __version__, quality
from pipeline.build import code_digest, digest
from pipeline.cache import Cache, PageKeys, PageReading, page_keys
from pipeline.cache import load as cache_load
from pipeline.cache import save as cache_save
from pipeline.doctypes import STRONG, classify
from pipeline.documents import Document, ReadLimits, SourcePage
from pipeline.errors import UnreadableFileError
from pipeline.manifest import Manifest, Slot
from pipeline.models import (
    ChecklistItem,
    CheckResult,
    DocumentInfo,
    EngineInfo,
    Finding,
    FindingCode,
    Frozen,
    Page,
    PageInfo,
    Recommendation,
    Report,
    Severity,
    TextLine,
)
from pipeline.ocr import OcrEngine
from pipeline.orientation import OrientationModel, turn, turn_box
from pipeline.orientation import choose as choose_orientation
from pipeline.packet import FileSource, Packet
from pipeline.rules import Notice

log = logging.getLogger(__name__)
C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True)
class PageContext:
    """What a detector may know besides the page: the applicant, the slot, the rules in force."""

    manifest: Manifest
    notice: Notice
    slot: Slot
    ocr: OcrEngine | None = None  # for detectors that read a region again (an unwrapped seal ring)

    def config_for(self, name: str, model: type[C]) -> C:
        return model.model_validate(self.notice.detector_config.get(name, {}))


Detector = Callable[[Page, PageContext], list[Finding]]


@dataclass(frozen=True)
class Engines:
    ocr: OcrEngine
    orientation: OrientationModel
    min_orientation_score: float = 0.5


class ScreenOptions(BaseModel):
    limits: ReadLimits = ReadLimits()
    thumbnail_px: int = 1200
    thumbnail_quality: int = 70
    text_layer_min_chars: int = 10  # a text layer with fewer characters does not replace OCR
    text_layer_max_raster: float = 0.3  # ... nor does one on a page mostly covered by a scanned image


class PageResult(Frozen):
    """Everything the report needs from one page; no pixels but a small thumbnail."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    slot: Slot
    file: str
    info: PageInfo
    lines: tuple[TextLine, ...] = ()
    findings: tuple[Finding, ...] = ()
    thumbnail: bytes = b""


class FileResult(Frozen):
    document: DocumentInfo
    pages: tuple[PageResult, ...] = ()
    findings: tuple[Finding, ...] = ()  # about the file as a whole


@dataclass
class ScreenResult:
    report: Report
    pages: list[PageResult] = field(default_factory=list)
    manifest: Manifest | None = None


# ---------------------------------------------------------------- pages


def read_page(src: SourcePage, engines: Engines, options: ScreenOptions, photo: bool = False) -> PageReading:
    """Turn a decoded page upright and read its text once (text layer, OCR, or both): the costly part.

    A photograph is upright when its face is; a page the orientation model is unsure of is read the
    likely ways and kept the way it reads best (that reading is the page's OCR, not done twice).
    """
    layer = _uses_layer(src, src.words, options)

    def read(image: np.ndarray) -> list[TextLine]:
        return engines.ocr.read(image, keep_unread=True)

    choice, lines = choose_orientation(src.image, engines.orientation, photo=photo, read=None if layer else read)
    rotation = choice.rotation
    words = tuple(ln.model_copy(update={"bbox": turn_box(ln.bbox, rotation)}) for ln in src.words)
    if layer:
        return PageReading(rotation=rotation, score=choice.score, lines=words)
    found = lines if lines is not None else read(turn(src.image, rotation))
    ocr = _drop_overlapping([ln for ln in found if ln.text], words)
    unread = tuple(ln.bbox for ln in found if not ln.text)
    return PageReading(rotation=rotation, score=choice.score, lines=words + tuple(ocr), unread=unread)


def _uses_layer(src: SourcePage, words: tuple[TextLine, ...], options: ScreenOptions) -> bool:
    chars = sum(len(w.text) for w in words)
    return chars >= options.text_layer_min_chars and src.raster_fraction <= options.text_layer_max_raster


def prepare_page(
    src: SourcePage, slot: Slot, file: str, engines: Engines, options: ScreenOptions, reading: PageReading | None = None
) -> Page:
    """An upright page with its text (read now, or as read before) and its quality measures."""
    reading = reading or read_page(src, engines, options, photo=slot is Slot.photo)
    rotation, score, lines = reading.rotation, reading.score, reading.lines
    image = turn(src.image, rotation)
    use_layer = _uses_layer(src, tuple(ln for ln in lines if ln.source == "pdf"), options)
    gray = quality.gray_of(image)
    h = image.shape[0]
    line_h = quality.text_height(lines, h, image_width=image.shape[1]) or quality.box_height(reading.unread, h)
    small_h = quality.small_text_height(lines, h)
    exposure = quality.exposure(gray)
    ocr_lines = [ln for ln in lines if ln.source == "ocr"]
    metrics: dict[str, float] = {
        "orientation_score": score,
        "blur_px": quality.blur_px(gray, line_h),
        "orig_width": image.shape[1] / src.scale,
        "orig_height": image.shape[0] / src.scale,
        "ocr_confidence": float(np.mean([ln.confidence for ln in ocr_lines])) if ocr_lines else 0.0,
        "legible_fraction": quality.legible_fraction(lines, reading.unread),
        "unread_ink": quality.unread_ink(gray, lines),
        "page_blur_px": quality.blur_px(gray, None),
        "unread_boxes": float(len(reading.unread)),
        **exposure,
    }
    if small_h is not None:
        metrics["small_text_px"] = small_h / src.scale
    if use_layer:  # born-digital text: sharp and well exposed by construction
        metrics["blur_px"] = min(metrics["blur_px"], 1.0)
        metrics["born_digital"] = 1.0
    return Page(
        slot=slot,
        file=file,
        number=src.number,
        image=image,
        lines=lines,
        rotation=rotation,
        scale=src.scale,
        dpi=src.dpi,
        metrics=metrics,
        unread=reading.unread,
    )


def _drop_overlapping(ocr: Iterable[TextLine], layer: tuple[TextLine, ...]) -> list[TextLine]:
    """OCR lines not already given by the text layer (so nothing is read twice)."""
    return [ln for ln in ocr if not any(_iou(ln.bbox, w.bbox) > 0.5 for w in layer)]


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def without_subsumed(findings: list[Finding], subsumes: Mapping[FindingCode, tuple[FindingCode, ...]]) -> list[Finding]:
    """Drop a finding whose box lies inside the box of a finding that already says it (the
    employer's name read off an unmasked seal is that seal's finding, not a second one)."""

    def inside(inner: Finding, outer: Finding) -> bool:
        if inner.bbox is None or outer.bbox is None:
            return False
        cx, cy = (inner.bbox[0] + inner.bbox[2]) / 2, (inner.bbox[1] + inner.bbox[3]) / 2
        return outer.bbox[0] <= cx <= outer.bbox[2] and outer.bbox[1] <= cy <= outer.bbox[3]

    return [
        f for f in findings
        if not any(f.code in subsumes.get(g.code, ()) and inside(f, g) for g in findings if g is not f)
    ]


def detect_page(page: Page, ctx: PageContext, detectors: Mapping[str, Detector]) -> list[Finding]:
    """Run every detector the rules assign to this slot; one that fails is recorded, not fatal."""
    findings: list[Finding] = []
    for name in sorted(ctx.notice.checks_for(page.slot)):
        detector = detectors.get(name)
        if detector is None:
            continue
        try:
            findings.extend(detector(page, ctx))
        except Exception as exc:  # a detector bug must not lose the packet
            log.exception("detector %s failed on %s page %d", name, page.file, page.number)
            findings.append(
                page.finding(
                    FindingCode.SCREENING_ERROR,
                    f"自动检查“{name}”在本页出错，请人工审核本页",
                    evidence={"detector": name, "error": type(exc).__name__},
                )
            )
    return without_subsumed(findings, ctx.notice.subsumes)


def screen_page(
    src: SourcePage,
    ctx: PageContext,
    engines: Engines,
    detectors: Mapping[str, Detector],
    options: ScreenOptions,
    file: str,
    reading: PageReading | None = None,
) -> PageResult:
    page = prepare_page(src, ctx.slot, file, engines, options, reading)
    findings = detect_page(page, replace(ctx, ocr=engines.ocr), detectors)
    kind = classify(page.lines)
    info = PageInfo(
        type=kind.type.value if kind.type and kind.score >= STRONG else None,
        page=page.number,
        rotation=page.rotation,  # type: ignore[arg-type]
        sharpness=_sharpness(page.metrics["blur_px"]),
        width=int(round(page.metrics["orig_width"])),
        height=int(round(page.metrics["orig_height"])),
        dpi=round(page.dpi, 1) if page.dpi else None,
        text_source=_text_source(page.lines),
        chars=sum(len(ln.text) for ln in page.lines),
    )
    return PageResult(
        slot=ctx.slot,
        file=file,
        info=info,
        lines=page.lines,
        findings=tuple(findings),
        thumbnail=thumbnail(page.image, options.thumbnail_px, options.thumbnail_quality),
    )


def failed_page(slot: Slot, file: str, number: int, exc: BaseException) -> PageResult:
    """A page that could not be screened: recorded in the report, the rest of the packet goes on."""
    reason = exc.reason if isinstance(exc, UnreadableFileError) else type(exc).__name__
    finding = Finding.of(
        FindingCode.SCREENING_ERROR,
        f"本页无法自动检查（{reason}），请人工审核",
        slot=slot,
        file=file,
        page=number,
        evidence={"error": str(exc)[:300]},
    )
    return PageResult(slot=slot, file=file, info=PageInfo(page=number, error=str(exc)[:300]), findings=(finding,))


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


# ---------------------------------------------------------------- files


def open_file(source: FileSource, slot: Slot, file: str, limits: ReadLimits) -> tuple[Document | None, list[Finding]]:
    """Open one upload; an unreadable one becomes an ``UNREADABLE_FILE`` finding."""
    try:
        data = source.read(file, limits.max_file_bytes)
        doc = Document(data, file, limits)
    except UnreadableFileError as exc:
        return None, [unreadable(slot, file, exc)]
    return doc, file_findings(doc, slot, file, limits)


def file_findings(doc: Document, slot: Slot, file: str, limits: ReadLimits) -> list[Finding]:
    """What an opened upload says about itself: a misleading extension, more pages than are screened."""
    findings = []
    if doc.mislabelled:
        findings.append(
            Finding.of(
                FindingCode.UNREADABLE_FILE,
                f"文件扩展名与实际格式不符（实际为{doc.format.value.upper()}），平台可能无法正常显示",
                slot=slot,
                file=file,
                evidence={"format": doc.format.value, "score": 0.6},
            )
        )
    if doc.page_count > limits.max_pages:
        findings.append(
            Finding.of(
                FindingCode.TOO_MANY_PAGES,
                f"文件共{doc.page_count}页，仅自动检查了前{limits.max_pages}页，其余请人工审核",
                slot=slot,
                file=file,
                evidence={"pages": doc.page_count, "screened": limits.max_pages},
            )
        )
    return findings


def unreadable(slot: Slot, file: str, exc: UnreadableFileError) -> Finding:
    return Finding.of(
        FindingCode.UNREADABLE_FILE,
        f"文件无法读取：{exc.reason}",
        slot=slot,
        file=file,
        evidence={"reason": exc.reason, "detail": exc.detail[:300], "score": 1.0},
    )


def screen_file(
    packet: Packet,
    slot: Slot,
    file: str,
    ctx: PageContext,
    engines: Engines,
    detectors: Mapping[str, Detector],
    options: ScreenOptions,
    on_page: Callable[[PageResult], None] | None = None,
    cache: Cache | None = None,
) -> FileResult:
    """Screen every page of one upload, one page in memory at a time."""
    doc, findings = open_file(packet.source, slot, file, options.limits)
    if doc is None:
        return file_result(slot, file, None, None, (), findings)
    pages = []
    for number in range(1, doc.pages_to_read + 1):
        result = screen_document_page(doc, number, ctx, engines, detectors, options, cache)
        pages.append(result)
        if on_page:
            on_page(result)
    return file_result(slot, file, doc.format.value, doc.page_count, pages, findings, doc.sha256)


def screen_document_page(
    doc: Document,
    number: int,
    ctx: PageContext,
    engines: Engines,
    detectors: Mapping[str, Detector],
    options: ScreenOptions,
    cache: Cache | None = None,
) -> PageResult:
    """Screen page ``number`` of an opened document; a failure is recorded on the page, not raised.

    With a cache, an unchanged page is not decoded again, and a page whose findings must be
    recomputed (new rules, new detectors, another manifest) is not read again.
    """
    keys = page_keys_for(doc, number, ctx, engines, options) if cache is not None else None
    if keys and (hit := cached_page(cache, keys)) is not None:
        return hit
    try:
        src = doc.page(number)
        reading = _cached(cache, keys.reading, PageReading) if keys else None
        if reading is None:
            reading = read_page(src, engines, options, photo=ctx.slot is Slot.photo)
            if keys:
                cache_save(cache, keys.reading, reading.model_dump_json().encode())
        result = screen_page(src, ctx, engines, detectors, options, doc.name, reading)
    except Exception as exc:  # one bad page must not lose the file
        log.warning("page %d of %s failed: %s", number, doc.name, type(exc).__name__)
        return failed_page(ctx.slot, doc.name, number, exc)
    if keys and not any(f.code is FindingCode.SCREENING_ERROR for f in result.findings):
        cache_save(cache, keys.result, result.model_dump_json().encode())  # a failed check is tried again next time
    return result


def page_keys_for(doc: Document, number: int, ctx: PageContext, engines: Engines, options: ScreenOptions) -> PageKeys:
    return page_keys(
        doc.sha256,
        number,
        engine=f"{engines.ocr.name}|{engines.orientation.name}|{engines.min_orientation_score}",
        options=options.model_dump_json() + ("|photo" if ctx.slot is Slot.photo else ""),  # a photo is turned by its face
        context=digest(ctx.manifest.model_dump_json(), ctx.slot, doc.name, ctx.notice.version),
    )


def cached_page(cache: Cache | None, keys: PageKeys) -> PageResult | None:
    """The page's result from an earlier screening with the same bytes, code, rules and manifest."""
    return _cached(cache, keys.result, PageResult)


def _cached(cache: Cache | None, key: str, model: type[C]) -> C | None:
    raw = cache_load(cache, key)
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw)
    except ValueError:  # written by an older layout: recompute
        return None


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


# ---------------------------------------------------------------- report


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


def check_packet(manifest: Manifest, notice: Notice, files: list[FileResult], checks: Iterable[PacketCheck]) -> CheckResult:
    """Run the packet-level rules; one that fails is recorded for the auditor, not fatal."""
    findings: list[Finding] = []
    checklist: list[ChecklistItem] = []
    for check in checks:
        try:
            result = check(manifest, notice, files)
        except Exception as exc:
            log.exception("packet check %s failed", getattr(check, "__name__", check))
            name = getattr(check, "__module__", "check").rsplit(".", 1)[-1]
            findings.append(Finding.of(FindingCode.SCREENING_ERROR, f"规则检查“{name}”出错，请人工审核", evidence={"error": type(exc).__name__}))
            continue
        findings.extend(result.findings)
        checklist.extend(result.checklist)
    return CheckResult(findings=tuple(findings), checklist=tuple(checklist))


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


PacketCheck = Callable[[Manifest, Notice, list[FileResult]], CheckResult]


def screen_packet(
    packet: Packet,
    notices: Mapping[Any, Notice],
    engines: Engines,
    detectors: Mapping[str, Detector],
    packet_checks: Iterable[PacketCheck] = (),
    options: ScreenOptions | None = None,
    on_page: Callable[[PageResult], None] | None = None,
    cache: Cache | None = None,
) -> ScreenResult:
    """The whole recipe in plain loops: every file, every page, then the packet-level rules."""
    options = options or ScreenOptions()
    manifest = packet.manifest
    notice = notices[manifest.track]
    started = time.perf_counter()
    files = [
        screen_file(packet, slot, file, PageContext(manifest, notice, slot), engines, detectors, options, on_page, cache)
        for slot, file in manifest.files()
    ]
    report = build_report(manifest, files, check_packet(manifest, notice, files, packet_checks), engine_info(engines, notice))
    log.info("screened %s in %.1f s", manifest.application_id, time.perf_counter() - started)
    return ScreenResult(report=report, pages=[p for fr in files for p in fr.pages], manifest=manifest)
