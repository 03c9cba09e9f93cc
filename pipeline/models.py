"""Typed models that flow through the pipeline and into the report (CONTRACT §3)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from pipeline.manifest import Slot, Track

BBox = tuple[float, float, float, float]
"""``[x0, y0, x1, y1]`` as fractions of the upright page."""


def relative(box: tuple[float, ...], shape: tuple[int, ...]) -> BBox:
    """A box in pixels of an image of ``shape`` as shares of its width and height, kept inside it."""
    h, w = shape[:2]
    return (max(0.0, box[0] / w), max(0.0, box[1] / h), min(1.0, box[2] / w), min(1.0, box[3] / h))


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two boxes ``(x0, y0, x1, y1)`` in the same units."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Recommendation(StrEnum):
    pass_ = "pass"
    needs_review = "needs_review"
    return_to_applicant = "return_to_applicant"


class FindingCode(StrEnum):
    MISSING_MATERIAL = "MISSING_MATERIAL"
    WRONG_DOCUMENT = "WRONG_DOCUMENT"
    UNREADABLE_FILE = "UNREADABLE_FILE"
    BLURRY = "BLURRY"
    LOW_RESOLUTION = "LOW_RESOLUTION"
    POOR_EXPOSURE = "POOR_EXPOSURE"
    ROTATED = "ROTATED"
    UNMASKED_NAME = "UNMASKED_NAME"
    UNMASKED_EMPLOYER = "UNMASKED_EMPLOYER"
    UNMASKED_SEAL = "UNMASKED_SEAL"
    UNMASKED_EYES = "UNMASKED_EYES"
    PHOTO_FACE_MISSING = "PHOTO_FACE_MISSING"
    APPRAISAL_NOT_EXCELLENT = "APPRAISAL_NOT_EXCELLENT"
    APPRAISAL_YEAR_MISSING = "APPRAISAL_YEAR_MISSING"
    CE_INCOMPLETE = "CE_INCOMPLETE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    WORK_SUMMARY_LENGTH = "WORK_SUMMARY_LENGTH"
    UNSIGNED = "UNSIGNED"
    PUBLICITY_TOO_SHORT = "PUBLICITY_TOO_SHORT"
    LATE_SUBMISSION = "LATE_SUBMISSION"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    NAME_MISMATCH = "NAME_MISMATCH"
    ID_EXPIRED = "ID_EXPIRED"
    DUPLICATE_UPLOAD = "DUPLICATE_UPLOAD"
    DATE_INCONSISTENT = "DATE_INCONSISTENT"
    # Beyond the contract: the screening itself could not finish part of the work.
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    SCREENING_ERROR = "SCREENING_ERROR"


SEVERITY: dict[FindingCode, Severity] = {
    code: Severity.warning
    for code in (
        FindingCode.POOR_EXPOSURE,
        FindingCode.ROTATED,
        FindingCode.WORK_SUMMARY_LENGTH,
        FindingCode.UNSIGNED,
        FindingCode.DUPLICATE_UPLOAD,
        FindingCode.DATE_INCONSISTENT,
        FindingCode.TOO_MANY_PAGES,
        FindingCode.SCREENING_ERROR,
    )
}


def severity_of(code: FindingCode) -> Severity:
    return SEVERITY.get(code, Severity.error)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Finding(Frozen):
    code: FindingCode
    severity: Severity
    slot: Slot | None = None
    file: str | None = None
    page: int | None = Field(default=None, ge=1)
    bbox: BBox | None = None
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _omit_location(self, handler: Any) -> dict[str, Any]:
        """``page`` and ``bbox`` are left out (not null) when a finding concerns a file, slot or packet."""
        data = handler(self)
        for key in ("page", "bbox"):
            if data.get(key) is None:
                data.pop(key, None)
        return data

    @classmethod
    def of(cls, code: FindingCode, message: str, **fields: Any) -> Finding:
        """A finding with the contract's severity for its code."""
        return cls(code=code, severity=severity_of(code), message=message, **fields)

    @property
    def key(self) -> tuple:
        return (self.code, self.slot, self.file, self.page)

    def fingerprint(self, file_sha256: str | None = None) -> str:
        """Identity across re-screens: the same finding on the same bytes gets the same fingerprint,
        so an auditor's decision carries over; any change (message, place, evidence, file) does not."""
        box = [round(v, 2) for v in self.bbox] if self.bbox else None
        body = json.dumps(
            [self.code, self.slot, self.file, self.page, box, self.message, file_sha256], ensure_ascii=False, default=str
        )
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:20]

    @property
    def strength(self) -> float:
        score = self.evidence.get("score")
        return float(score) if isinstance(score, int | float) else 0.0


class TextLine(Frozen):
    """A line of text read from a page, with its box on the upright page."""

    text: str
    bbox: BBox
    confidence: float = Field(ge=0, le=1)
    source: Literal["ocr", "pdf"] = "ocr"


class PageInfo(Frozen):
    """What the report says of one page (``documents[].pages[]``)."""

    page: int = Field(ge=1)
    rotation: Literal[0, 90, 180, 270] = 0
    sharpness: float | None = None
    type: str | None = None
    width: int | None = None
    height: int | None = None
    dpi: float | None = Field(default=None, description="effective resolution, when it can be known")
    text_source: Literal["ocr", "pdf", "pdf+ocr", "none"] = "none"
    chars: int = 0
    error: str | None = None


class DocumentInfo(Frozen):
    slot: Slot
    file: str
    format: str | None = None
    page_count: int | None = None
    sha256: str | None = Field(default=None, description="digest of the uploaded bytes, when they could be read")
    pages: tuple[PageInfo, ...] = ()


class EngineInfo(Frozen):
    prescreen: str
    ocr: str
    orientation: str
    rules: str
    build: str = Field("", description="digest of the screening code and its data; a change re-screens packets")


class ChecklistItem(Frozen):
    """One line of the track's checklist: what the notice asks and what the packet shows."""

    item: str
    state: Literal["ok", "problem", "unknown"]
    detail: str = ""
    codes: tuple[FindingCode, ...] = ()


class CheckResult(Frozen):
    findings: tuple[Finding, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()


class Report(Frozen):
    application_id: str
    track: Track
    recommendation: Recommendation
    findings: tuple[Finding, ...]
    documents: tuple[DocumentInfo, ...]
    generated_at: datetime
    engine: EngineInfo
    checklist: tuple[ChecklistItem, ...] = ()

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class PageMetrics(Frozen):
    """What is measured on an upright page before the detectors judge it (``pipeline.quality``)."""

    orientation_score: float = Field(0.0, description="the orientation model's confidence (0-1) in the turn applied")
    blur_px: float = Field(
        0.0, description="edge blur (Gaussian sigma, px) at text normalised to 32-px lines; inf when no edge is found"
    )
    orig_width: float = Field(0.0, description="width of the original page, in its own pixels")
    orig_height: float = Field(0.0, description="height of the original page, in its own pixels")
    ocr_confidence: float = Field(0.0, description="mean confidence (0-1) of the OCR lines; 0 without OCR lines")
    paper_level: float = Field(0.0, description="90th-percentile grey level (0-255): the paper")
    ink_level: float = Field(0.0, description="grey level (0-255) of the marks on the page")
    contrast: float = Field(0.0, description="paper minus ink, grey levels")
    spread: float = Field(0.0, description="standard deviation of the grey levels")
    structure: float = Field(0.0, description="largest smoothed local grey change: ~0-10 on a blank sheet, 30+ with text")
    glare_fraction: float = Field(0.0, description="share of the page lost to a glare hot spot")
    small_text_px: float | None = Field(
        None, description="height (25th percentile) of OCR line boxes, in original pixels; None with fewer than 2 lines"
    )
    born_digital: bool = Field(False, description="the page's text comes from a real PDF text layer")
    legible_fraction: float = Field(1.0, description="share (by area) of the text OCR found that it read with confidence >= 0.8")
    unread_ink: float = Field(
        0.0, description="share of the page's letter-sized ink outside every line read with confidence (0 on a text layer)"
    )
    page_blur_px: float = Field(0.0, description="edge blur (sigma, px) with the page scaled to a 1600-px long side, whatever its text")
    unread_boxes: int = Field(0, description="text boxes OCR found but could not read")


@dataclass(frozen=True, eq=False)
class Page:
    """One upright page as the detectors see it. Holds pixels, so it never leaves the worker."""

    slot: Slot
    file: str
    number: int
    image: np.ndarray  # upright BGR working image
    lines: tuple[TextLine, ...]
    rotation: int = 0
    scale: float = 1.0  # working pixels per original pixel
    dpi: float | None = None
    metrics: PageMetrics = field(default_factory=PageMetrics)
    unread: tuple[BBox, ...] = ()  # text found but not readable (boxes on the upright page)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def finding(self, code: FindingCode, message: str, **fields: Any) -> Finding:
        """A finding located on this page."""
        return Finding.of(code, message, slot=self.slot, file=self.file, page=self.number, **fields)
