"""Reading: open an upload, turn a page upright, read its text once, measure it.

``read_page`` is the costly part (orientation model and OCR) and is what the page cache keeps;
``prepare_page`` turns a reading into the typed ``Page`` the detectors see.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from pipeline import quality
from pipeline.cache import PageReading
from pipeline.context import Engines, ScreenOptions
from pipeline.documents import Document, ReadLimits, SourcePage
from pipeline.errors import UnreadableFileError
from pipeline.manifest import Slot
from pipeline.models import Finding, FindingCode, Page, PageMetrics, TextLine, iou
from pipeline.orientation import choose as choose_orientation
from pipeline.orientation import turn, turn_box
from pipeline.packet import FileSource

log = logging.getLogger(__name__)

BORN_DIGITAL_BLUR_PX = 1.0
"""A page whose text is a real PDF text layer is sharp by construction: its blur is taken as at most this."""

TEXT_PROBE_LINES = 3
"""On a page no check reads text from (the 2025 photo), OCR runs only when the text detector finds at
least this many lines: a document uploaded in the photo's place is still read (its text tells the
packet rules what it is); a portrait, in which the detector finds 0-2 (a collar, a badge), is not."""


# ---------------------------------------------------------------- files


def open_file(source: FileSource, slot: Slot, file: str, limits: ReadLimits) -> tuple[Document | None, list[Finding]]:
    """Open one upload; an unreadable one becomes an ``UNREADABLE_FILE`` finding."""
    try:
        doc = Document(source.read(file, limits.max_file_bytes), file, limits)
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
        findings.append(too_many_pages(slot, file, doc.page_count, limits.max_pages))
    return findings


def too_many_pages(slot: Slot, file: str, pages: int, screened: int, why: str = "") -> Finding:
    """Pages past a limit are not read: the auditor is told how many were, and why."""
    reason = f"，{why}" if why else ""
    message = (
        f"文件共{pages}页{reason}，仅自动检查了前{screened}页，其余请人工审核"
        if screened
        else f"文件共{pages}页{reason}，未自动检查，请人工审核"
    )
    return Finding.of(
        FindingCode.TOO_MANY_PAGES, message, slot=slot, file=file, evidence={"pages": pages, "screened": screened}
    )


def unreadable(slot: Slot, file: str, exc: UnreadableFileError, page: int | None = None) -> Finding:
    where = f"第{page}页" if page else ""
    return Finding.of(
        FindingCode.UNREADABLE_FILE,
        f"文件{where}无法读取：{exc.reason}",
        slot=slot,
        file=file,
        page=page,
        evidence={"reason": exc.reason, "detail": exc.detail[:300], "score": 1.0},
    )


class DocumentCache:
    """Uploads opened in this process, by where they came from and their digest, so the pages of
    one file share one download and one parse. Bounded in count and bytes; an evicted document is
    dropped (freed when the last page task using it ends), never closed under a running task."""

    def __init__(self, max_documents: int = 4, max_bytes: int = 256 * 2**20) -> None:
        self.max_documents, self.max_bytes = max_documents, max_bytes
        self._docs: OrderedDict[tuple[str, str, str], Document] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Document | None:
        with self._lock:
            doc = self._docs.get(key)
            if doc is not None:
                self._docs.move_to_end(key)
            return doc

    def put(self, key: tuple[str, str, str], doc: Document) -> None:
        with self._lock:
            self._docs[key] = doc
            self._docs.move_to_end(key)
            while len(self._docs) > self.max_documents or (
                len(self._docs) > 1 and sum(len(d.data) for d in self._docs.values()) > self.max_bytes
            ):
                self._docs.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()


DOCUMENTS = DocumentCache()
"""This process's opened uploads (each worker process has its own)."""


def document(source: FileSource, file: str, sha256: str, limits: ReadLimits) -> Document:
    """The upload ``file`` with digest ``sha256``, opened once per process. ``UnreadableFileError`` if
    it cannot be read or its bytes changed since it was opened (the page belongs to another upload)."""
    key = (source.describe(), file, sha256)
    doc = DOCUMENTS.get(key)
    if doc is None:
        doc = Document(source.read(file, limits.max_file_bytes), file, limits)
        if doc.sha256 != sha256:
            raise UnreadableFileError("文件在检查过程中被替换", f"{file}: sha256 {doc.sha256[:12]} != {sha256[:12]}")
        DOCUMENTS.put(key, doc)
    return doc


# ---------------------------------------------------------------- pages


def read_page(
    src: SourcePage, engines: Engines, options: ScreenOptions, photo: bool = False, text: bool = True
) -> PageReading:
    """Turn a decoded page upright and read its text once (text layer, OCR, or both): the costly part.

    A photograph is upright when its face is; a page the orientation model is unsure of is read the
    likely ways and kept the way it reads best (that reading is the page's OCR, not done twice). Where
    OCR found text it could not read is kept too: a blurred page still shows where its text was.
    ``text`` False says no check reads this page's text: it is recognised only if the detector finds
    text on it (``TEXT_PROBE_LINES``), unless ``options.read_unneeded_text``.
    """
    layer = uses_layer(src, src.words, options)
    probe = not text and not options.read_unneeded_text

    def read(image: np.ndarray) -> list[TextLine]:
        return engines.ocr.read(image, keep_unread=True)

    second_opinion = None if layer or probe else read
    choice, lines = choose_orientation(src.image, engines.orientation, photo=photo, read=second_opinion)
    rotation = choice.rotation
    words = tuple(ln.model_copy(update={"bbox": turn_box(ln.bbox, rotation)}) for ln in src.words)
    if layer:
        return PageReading(rotation=rotation, score=choice.score, lines=words)
    upright = turn(src.image, rotation)
    if probe and engines.ocr.count_lines(upright) < TEXT_PROBE_LINES:
        return PageReading(rotation=rotation, score=choice.score, lines=words)
    found = lines if lines is not None else read(upright)
    ocr = _drop_overlapping([ln for ln in found if ln.text], words)
    unread = tuple(ln.bbox for ln in found if not ln.text)
    return PageReading(rotation=rotation, score=choice.score, lines=words + tuple(ocr), unread=unread)


def uses_layer(src: SourcePage, words: tuple[TextLine, ...], options: ScreenOptions) -> bool:
    """The PDF's own text stands for the page: enough of it, on a page not mostly a scanned image."""
    chars = sum(len(w.text) for w in words)
    return chars >= options.text_layer_min_chars and src.raster_fraction <= options.text_layer_max_raster


def prepare_page(
    src: SourcePage,
    slot: Slot,
    file: str,
    engines: Engines,
    options: ScreenOptions,
    reading: PageReading | None = None,
    text: bool = True,
) -> Page:
    """An upright page with its text (read now, or as read before) and its quality measures."""
    reading = reading or read_page(src, engines, options, photo=slot is Slot.photo, text=text)
    image = turn(src.image, reading.rotation)
    born_digital = uses_layer(src, tuple(ln for ln in reading.lines if ln.source == "pdf"), options)
    return Page(
        slot=slot,
        file=file,
        number=src.number,
        image=image,
        lines=reading.lines,
        rotation=reading.rotation,
        scale=src.scale,
        dpi=src.dpi,
        metrics=measure(image, reading, src.scale, born_digital),
        unread=reading.unread,
    )


def measure(image: np.ndarray, reading: PageReading, scale: float, born_digital: bool) -> PageMetrics:
    """The quality measures of an upright page (``pipeline.quality``), in original pixels where sizes."""
    lines = reading.lines
    gray = quality.gray_of(image)
    h = image.shape[0]
    small_h = quality.small_text_height(lines, h)
    ocr_lines = [ln for ln in lines if ln.source == "ocr"]
    line_h = quality.text_height(lines, h, image_width=image.shape[1]) or quality.box_height(reading.unread, h)
    blur = quality.blur_px(gray, line_h)
    return PageMetrics(
        orientation_score=reading.score,
        blur_px=min(blur, BORN_DIGITAL_BLUR_PX) if born_digital else blur,
        orig_width=image.shape[1] / scale,
        orig_height=image.shape[0] / scale,
        ocr_confidence=float(np.mean([ln.confidence for ln in ocr_lines])) if ocr_lines else 0.0,
        small_text_px=small_h / scale if small_h is not None else None,
        born_digital=born_digital,
        legible_fraction=quality.legible_fraction(lines, reading.unread),
        unread_ink=0.0 if born_digital else quality.unread_ink(gray, lines),
        page_blur_px=min(quality.blur_px(gray, None), BORN_DIGITAL_BLUR_PX) if born_digital else quality.blur_px(gray, None),
        unread_boxes=len(reading.unread),
        **quality.exposure(gray, [*(ln.bbox for ln in lines), *reading.unread]),
    )


def _drop_overlapping(ocr: Iterable[TextLine], layer: tuple[TextLine, ...]) -> list[TextLine]:
    """OCR lines not already given by the text layer (so nothing is read twice)."""
    return [ln for ln in ocr if not any(iou(ln.bbox, w.bbox) > 0.5 for w in layer)]


