"""Uploaded files to pages: real type from the bytes, PDFs through PyMuPDF/pdfplumber, images through Pillow.

Every failure a file can cause becomes ``UnreadableFileError`` with a Chinese reason an
auditor can act on; limits keep a decompression bomb, a page a million points wide or a
2,000-page PDF from taking the process down.

A ``Document`` may be shared by page tasks on threads: MuPDF (not thread-safe, one global
context) is only called under one process-wide lock, and the Pillow image and pdfplumber
parse of a file under that file's own lock. Each page comes out as its own arrays.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pymupdf
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import BadPageError, UnreadableFileError
from pipeline.manifest import Slot
from pipeline.models import TextLine

log = logging.getLogger(__name__)
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)
_MUPDF = threading.RLock()  # MuPDF has one global context and warning buffer: one caller at a time


class FileFormat(StrEnum):
    pdf = "pdf"
    jpeg = "jpeg"
    png = "png"
    tiff = "tiff"
    bmp = "bmp"
    webp = "webp"


EXTENSIONS: dict[FileFormat, tuple[str, ...]] = {
    FileFormat.pdf: (".pdf",),
    FileFormat.jpeg: (".jpg", ".jpeg", ".jpe", ".jfif"),
    FileFormat.png: (".png",),
    FileFormat.tiff: (".tif", ".tiff"),
    FileFormat.bmp: (".bmp", ".dib"),
    FileFormat.webp: (".webp",),
}


# Pages per upload slot, several times what the slot's material can fill, so no real upload reaches
# them: a photo is one image (2); an ID-card side one page, perhaps copied twice (4); a certificate
# one or two pages, a booklet scanned spread by spread about six (10); a work summary of 2,000-3,000
# 汉字 two to five pages, a publicity notice, its result or a report a few pages even with long
# lists of names (20); appraisals one to four pages a year and continuing education two
# certificates a year, over at most five years (20 at most: 30). A packet is planned at ~30 pages;
# 300 pages a packet is ten times that. At ~4 s a scanned page on one core, a slot's limit is
# screened in about two minutes.
SLOT_PAGES: dict[Slot, int] = {
    Slot.photo: 2,
    Slot.id_card_portrait: 4,
    Slot.id_card_emblem: 4,
    Slot.diploma: 10,
    Slot.degree_certificate: 10,
    Slot.foreign_degree_certification: 10,
    Slot.postdoc_certificate: 10,
    Slot.title_certificate: 10,
    Slot.ce_certificate: 30,
    Slot.ce_exemption: 10,
    Slot.annual_appraisal: 30,
    Slot.work_summary: 20,
    Slot.promise_letter: 5,
    Slot.unit_publicity: 20,
    Slot.publicity_result: 20,
    Slot.recommendation_report: 20,
    Slot.supervisor_opinion: 10,
    Slot.vacancy_statement: 10,
    Slot.teacher_qualification: 10,
    Slot.mandarin_certificate: 10,
}


class ReadLimits(BaseModel):
    """Guards on what a file and a packet may cost. Units in the names; past a limit is a finding
    (or, for the manifest itself, a one-line error), never a crash."""

    model_config = ConfigDict(frozen=True)

    max_file_bytes: int = Field(200 * 2**20, description="larger uploads are refused unread")
    max_pages: int = Field(200, description="pages screened per file; the rest are reported, not read")
    max_pages_by_slot: dict[Slot, int] = Field(
        default_factory=lambda: dict(SLOT_PAGES), description="pages screened per upload slot, all its files together"
    )
    max_total_pages: int = Field(300, description="pages screened per packet (10x a packet's planned 30 pages)")
    max_files: int = Field(200, description="files a manifest may list (real packets: 20-40); more is refused")
    max_manifest_bytes: int = Field(2**20, description="a manifest larger than this is refused unread (real: a few kB)")
    max_image_pixels: int = Field(
        120_000_000, description="decoded pixels per image (a 600 DPI A3 scan is ~70 Mpx); more is a bomb"
    )
    max_page_pt: float = Field(
        14_400, description="PDF page side in points (200 in, the PDF format's own limit; A0 is 3,370)"
    )
    render_dpi: float = Field(200, description="PDF pages are rendered at most at this resolution")
    max_text_layer_bytes: int = Field(
        4 * 2**20,
        description="a PDF page whose drawing instructions, decompressed, are larger has its text read by OCR, not from its "
        "text layer: pdfplumber parses ~0.5 MB a second (a 41 KB file inflating to 40 MB took 83 s); a page of dense "
        "text is ~100 kB",
    )
    max_side_px: int = Field(2400, description="long side of the working image; OCR reads ~2000 px anyway")
    page_seconds: float = Field(120, description="time budget of one page in the flow (a page takes ~2 s)")
    packet_seconds: float = Field(
        1800, description="time budget of one packet: pages not started by then are reported, not read"
    )

    def slot_pages(self, slot: Slot) -> int:
        return self.max_pages_by_slot.get(slot, self.max_pages)


# Pillow's own decompression-bomb guard stays on, at our limit (it refuses twice this, warns above it);
# ReadLimits.max_image_pixels is also checked from each header before decoding.
Image.MAX_IMAGE_PIXELS = ReadLimits.model_fields["max_image_pixels"].default


def sniff(data: bytes) -> FileFormat | None:
    """The file's real format from its leading bytes, whatever its name says."""
    head = data[:16]
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return FileFormat.pdf
    if head.startswith(b"\xff\xd8\xff"):
        return FileFormat.jpeg
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileFormat.png
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return FileFormat.tiff
    if head.startswith(b"BM"):
        return FileFormat.bmp
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileFormat.webp
    return None


def extension_matches(name: str, fmt: FileFormat) -> bool:
    return PurePosixPath(name).suffix.lower() in EXTENSIONS[fmt]


@dataclass(frozen=True, eq=False)
class SourcePage:
    """A page as decoded, before it is turned upright."""

    number: int  # 1-based
    image: np.ndarray  # BGR
    scale: float  # working pixels per original pixel (<= 1)
    dpi: float | None  # effective resolution of the original, when known
    words: tuple[TextLine, ...] = ()  # text layer, boxes relative to this (un-rotated) image
    raster_fraction: float = 1.0  # share of the page covered by raster images (1 for image files)


class Document:
    """An opened upload: knows its format and page count, yields pages one at a time.

    Safe to share between threads (see the module's docstring); ``close`` frees what it holds.
    """

    def __init__(self, data: bytes, name: str, limits: ReadLimits) -> None:
        self.name = name
        self.limits = limits
        if not data:
            raise UnreadableFileError("空文件", "the file has no bytes")
        if len(data) > limits.max_file_bytes:
            raise UnreadableFileError("文件过大", f"{len(data)} bytes > {limits.max_file_bytes}")
        fmt = sniff(data)
        if fmt is None:
            raise UnreadableFileError("不支持的文件格式", "not PDF, JPEG, PNG, TIFF, BMP or WebP")
        self.format = fmt
        self.data = data
        self.sha256 = hashlib.sha256(data).hexdigest()
        self._lock = threading.Lock()  # this file's Pillow image and pdfplumber parse
        self._pdf: pymupdf.Document | None = None
        self._image: Image.Image | None = None
        self._plumber: Any = None  # pdfplumber's parse of the whole file, made once, on the first page with text
        if fmt is FileFormat.pdf:
            self.page_count = self._open_pdf()
        else:
            self.page_count = self._open_image()

    @property
    def mislabelled(self) -> bool:
        return not extension_matches(self.name, self.format)

    @property
    def pages_to_read(self) -> int:
        return min(self.page_count, self.limits.max_pages)

    def close(self) -> None:
        with self._lock:
            if self._plumber is not None:
                self._plumber.close()
                self._plumber = None
            if self._image is not None:
                self._image.close()
        if self._pdf is not None:
            with _MUPDF:
                self._pdf.close()

    # -- opening

    def _open_pdf(self) -> int:
        with _MUPDF:
            pymupdf.TOOLS.mupdf_warnings()  # clear what earlier files left
            try:
                doc = pymupdf.open(stream=self.data, filetype="pdf")
            except Exception as exc:  # MuPDF raises its own types for damaged files
                raise UnreadableFileError("PDF文件已损坏，无法打开", str(exc).splitlines()[0] if str(exc) else "") from None
            warnings = pymupdf.TOOLS.mupdf_warnings()
            if doc.is_repaired:  # truncated or damaged: what MuPDF rebuilt may be blank or partial
                doc.close()
                raise UnreadableFileError("PDF文件已损坏（不完整或结构错误），内容可能缺失", _first_lines(warnings))
            if doc.needs_pass and not doc.authenticate(""):
                raise UnreadableFileError("PDF文件已加密，无法读取", "password protected")
            if doc.page_count == 0:
                raise UnreadableFileError("PDF文件没有页面", "zero pages")
            self._pdf = doc
            return doc.page_count

    def _open_image(self) -> int:
        try:
            img = Image.open(io.BytesIO(self.data))  # reads the header only
            w, h = img.size
        except Image.DecompressionBombError as exc:
            raise UnreadableFileError("图像尺寸过大", str(exc)) from None
        except UnidentifiedImageError as exc:
            raise UnreadableFileError("图像文件已损坏或格式无法识别", type(exc).__name__) from None
        except Exception as exc:
            raise UnreadableFileError("图像文件已损坏", str(exc)) from None
        if w * h > self.limits.max_image_pixels:
            raise UnreadableFileError("图像尺寸过大", f"{w}x{h} pixels > {self.limits.max_image_pixels}")
        if w < 1 or h < 1:
            raise UnreadableFileError("图像尺寸为零", f"{w}x{h}")
        self._image = img
        try:
            frames = _frame_count(img, MAX_FRAMES)
        except Exception as exc:  # a TIFF whose frame chain is broken
            raise UnreadableFileError("图像文件已损坏", str(exc)) from None
        if frames > MAX_FRAMES:
            raise UnreadableFileError("图像页数过多", f"more than {MAX_FRAMES} frames")
        return frames

    # -- pages

    def pages(self) -> Iterator[SourcePage]:
        for i in range(self.pages_to_read):
            yield self.page(i + 1)

    def page(self, number: int) -> SourcePage:
        """Decode page ``number`` (1-based); ``UnreadableFileError`` if this page cannot be decoded."""
        if not 1 <= number <= self.page_count:
            raise IndexError(number)
        return self._pdf_page(number) if self._pdf is not None else self._image_page(number)

    def _image_page(self, number: int) -> SourcePage:
        with self._lock:  # one frame pointer per Pillow image
            img = self._image
            assert img is not None
            try:
                if number > 1 or self.page_count > 1:
                    img.seek(number - 1)
                frame = img
                w, h = frame.size
                if w * h > self.limits.max_image_pixels:
                    raise BadPageError("图像尺寸过大", f"page {number}: {w}x{h} pixels")
                target = self.limits.max_side_px
                if frame.format == "JPEG" and max(w, h) > 2 * target:
                    frame.draft("RGB", (w * target // max(w, h), h * target // max(w, h)))
                frame.load()
                orig_w, orig_h = _oriented_size(img, w, h)
                frame = ImageOps.exif_transpose(frame)
                rgb = _to_rgb(frame, max(1, max(frame.size) // target))
                dpi = _plausible_dpi(img.info.get("dpi"))
                if self.page_count == 1:
                    # the decoded pixels are not kept with the document (a 12-Mpx photo is 36 MB; an opened
                    # document may wait in the cache): the next decode opens the bytes again
                    self._image = Image.open(io.BytesIO(self.data))
            except (UnreadableFileError, MemoryError):
                raise
            except Exception as exc:  # truncated data, bad TIFF tags, ...: the file's fault
                raise BadPageError("图像文件已损坏", f"page {number}: {exc}") from None
            except BaseException:  # a time-out ended this page mid-seek: the next page starts from a fresh image
                self._image = Image.open(io.BytesIO(self.data))
                raise
        del img, frame
        arr = np.asarray(rgb)
        del rgb  # one full-size copy at a time
        arr = _fit(arr, self.limits.max_side_px)
        scale = arr.shape[1] / orig_w
        return SourcePage(number=number, image=np.ascontiguousarray(arr[:, :, ::-1]), scale=scale, dpi=dpi)

    def _pdf_page(self, number: int) -> SourcePage:
        doc = self._pdf
        assert doc is not None
        limits = self.limits
        with _MUPDF:
            try:
                page = doc[number - 1]
                rect = page.rect
                if rect.width < 1 or rect.height < 1:
                    raise BadPageError("PDF页面尺寸无效", f"page {number}: {rect}")
                if max(rect.width, rect.height) > limits.max_page_pt:
                    raise BadPageError(
                        "PDF页面尺寸异常",
                        f"page {number}: {rect.width:.0f} x {rect.height:.0f} pt > {limits.max_page_pt:.0f}",
                    )
                images = page.get_image_info()
                biggest = max((i.get("width", 0) * i.get("height", 0) for i in images), default=0)
                if biggest > limits.max_image_pixels:
                    raise BadPageError("PDF内嵌图像尺寸过大", f"page {number}: {biggest} pixels > {limits.max_image_pixels}")
                # a fractional zoom: the page's long side never exceeds the working size, whatever its size in points
                zoom = min(limits.render_dpi / 72, (limits.max_side_px - 1) / max(rect.width, rect.height))
                pymupdf.TOOLS.mupdf_warnings()
                pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB, alpha=False)
                warnings = pymupdf.TOOLS.mupdf_warnings()
                arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3)[:, :, ::-1].copy()
                del pix
                raster_fraction, image_dpi = _raster_cover(page, images)
                too_long = _instructions_over(doc, page, limits.max_text_layer_bytes)
                repaired = doc.is_repaired
            except (UnreadableFileError, MemoryError):
                raise
            except Exception as exc:  # MuPDF gave up on this page's objects: the file's fault
                raise BadPageError("PDF页面无法渲染", f"page {number}: {exc}") from None
        if repaired:  # damage found only now, on this page's objects
            raise BadPageError("PDF文件已损坏（结构错误），本页内容可能缺失", _first_lines(warnings) or "repaired while rendering")
        blank = bool((arr == arr[0, 0]).all())  # one colour: nothing was drawn
        if too_long:
            log.info("page %d: over %d bytes of drawing instructions, text layer not parsed", number, limits.max_text_layer_bytes)
            words: tuple[TextLine, ...] = ()
        else:
            words = self._text_layer(number)
        # text large enough to leave ink at this zoom (a word a few points high on a huge page draws nothing)
        drawable = [w for w in words if (w.bbox[3] - w.bbox[1]) * arr.shape[0] >= 4]
        if blank and (warnings or drawable):  # the file says there is content; none of it could be drawn
            raise BadPageError(
                "PDF页面内容无法显示（文件可能已损坏）",
                _first_lines(warnings) or f"page {number}: {len(drawable)} words in the text layer, nothing rendered",
            )
        # the working image is the rendering; "scale" relates it to the scan inside, if any
        dpi = zoom * 72
        scale = dpi / image_dpi if image_dpi else 1.0
        return SourcePage(
            number=number,
            image=arr,
            scale=min(scale, 1.0) if image_dpi else 1.0,
            dpi=image_dpi if image_dpi else None,
            words=words,
            raster_fraction=raster_fraction,
        )

    def _text_layer(self, number: int) -> tuple[TextLine, ...]:
        """Words with positions from the PDF's text layer (pdfplumber), boxes relative to the rendered page.

        The file is parsed once (the first time a page is asked for), not once per page. pdfplumber
        reports coordinates on the displayed page (``/Rotate`` applied), as PyMuPDF renders it.
        """
        import pdfplumber

        with self._lock:
            try:
                if self._plumber is None:
                    self._plumber = pdfplumber.open(io.BytesIO(self.data))
                page = self._plumber.pages[number - 1]
                try:
                    words = page.extract_words(keep_blank_chars=True, use_text_flow=True, y_tolerance=3)
                    pw, ph = float(page.width), float(page.height)  # already the displayed (rotated) page
                finally:
                    page.close()  # drop this page's parsed objects; the next page starts from the file's parse
            except Exception as exc:  # a damaged text layer must not lose the page
                log.info("text layer unreadable on page %d: %s", number, type(exc).__name__)
                return ()
            except BaseException:  # a time-out ended this page mid-parse: the next page parses afresh
                self._plumber = None
                raise
        lines = []
        for w in words:
            text = w["text"].strip()
            if not text or "(cid:" in text:
                continue
            box = tuple(min(1.0, max(0.0, v)) for v in (w["x0"] / pw, w["top"] / ph, w["x1"] / pw, w["bottom"] / ph))
            lines.append(TextLine(text=text, bbox=box, confidence=1.0, source="pdf"))
        return tuple(lines)


def _instructions_over(doc: pymupdf.Document, page: pymupdf.Page, cap: int) -> bool:
    """Whether a page's drawing instructions, decompressed, exceed ``cap`` bytes, counting each form
    as often as it is drawn (a text-layer parser reads a form at every ``Do``; a 10 KB file drawing a
    100 KB form 1,000 times is 100 MB to parse). A deflated stream is inflated only as far as the cap
    (a 1 MB stream may inflate to 1 GB). A stream that cannot be read counts as over: the page is
    read by OCR, never refused for it (MuPDF may still draw it)."""
    try:
        forms: dict[int, dict[str, int]] = {}  # drawing stream (0: the page) -> its forms by name
        for xref, name, invoker, _ in page.get_xobjects():
            forms.setdefault(invoker, {})[name] = xref
        page_data = b"".join(_inflated(doc, x, cap) for x in page.get_contents())
    except Exception:  # a broken contents entry or resource: MuPDF decides whether the page can be drawn
        return True
    done: dict[int, int] = {}

    def cost(stream: int, data: bytes, depth: int) -> int:
        total = len(data)
        for name, child in forms.get(stream, {}).items():
            if total > cap:
                break
            drawn = len(re.findall(rb"/" + re.escape(name.encode()) + rb"\s*Do\b", data))
            if not drawn:
                continue
            if child not in done:
                if depth > 8:  # forms drawing forms this deep, or in a loop: no page is made so
                    return cap + 1
                done[child] = cap + 1  # a form that draws itself is over
                done[child] = cost(child, _inflated(doc, child, cap), depth + 1)
            total += drawn * done[child]
        return total

    try:
        return cost(0, page_data, 0) > cap
    except Exception:
        return True


def _inflated(doc: pymupdf.Document, xref: int, cap: int) -> bytes:
    """A stream's bytes decompressed, at most ``cap + 1`` of them (raises on a stream MuPDF cannot decode)."""
    if not 0 < xref < doc.xref_length():
        return b""  # a missing object draws nothing (MuPDF passes over it)
    kind, name = doc.xref_get_key(xref, "Filter")
    if kind == "null":
        return (doc.xref_stream_raw(xref) or b"")[: cap + 1]
    if name in ("/FlateDecode", "[/FlateDecode]"):
        try:
            return zlib.decompressobj().decompress(doc.xref_stream_raw(xref) or b"", cap + 1)
        except zlib.error:
            return b""  # MuPDF reads what it can of a damaged stream; so does the text layer's parse
    return (doc.xref_stream(xref) or b"")[: cap + 1]  # other filters (chains, LZW): rare, decoded by MuPDF


MAX_FRAMES = 1000
"""Frames an image file may hold (a PDF's pages are counted from its page tree at no cost). Pillow
walks a TIFF's frame chain one frame at a time, in time growing with the square of the count: a
10 MB file of 100,000 one-pixel frames took 67 s to count."""


def _frame_count(img: Image.Image, cap: int) -> int:
    """An image's frames, counted up to ``cap + 1``."""
    if img.format != "TIFF":
        return getattr(img, "n_frames", 1) or 1
    n = 1
    try:
        while n <= cap:
            img.seek(n)
            n += 1
    except EOFError:
        pass
    img.seek(0)
    return n


def _first_lines(warnings: str, n: int = 3) -> str:
    """MuPDF's own words, as evidence: its first few warning lines."""
    return "; ".join(line.strip() for line in warnings.splitlines()[:n] if line.strip())


def _to_rgb(img: Image.Image, reduce: int = 1) -> Image.Image:
    """The decoded image as 8-bit RGB on white, made ``reduce`` times smaller first when it is larger
    than the working size needs: a 16-bit or 1-bit scan of 100 Mpx is not copied at full size as
    RGB or as floats (a 255 KB 16-bit PNG once took 1.7 GB on its way to a 2,400-px page)."""
    if img.mode.startswith("I;16"):
        if reduce > 1:  # averaged in its own 2 bytes a pixel (Image.reduce does not take 16-bit images)
            img = img.resize((max(1, img.width // reduce), max(1, img.height // reduce)), Image.Resampling.BOX)
        arr = np.asarray(img)
        hi = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / hi)).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        if reduce > 1:
            img = img.reduce(reduce)
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(img, mask=img.getchannel("A"))
        return bg
    if reduce > 1:
        img = (img.convert("L") if img.mode == "1" else img.convert("RGB") if img.mode not in ("L", "RGB", "I", "F", "CMYK") else img).reduce(reduce)
    if img.mode in ("I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        hi = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / hi)).astype(np.uint8)).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")  # not a second full-size copy


def _oriented_size(img: Image.Image, w: int, h: int) -> tuple[int, int]:
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _fit(arr: np.ndarray, max_side: int) -> np.ndarray:
    import cv2

    h, w = arr.shape[:2]
    s = min(1.0, max_side / max(h, w))
    if s < 1.0:
        arr = cv2.resize(arr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return arr


def _plausible_dpi(value: object) -> float | None:
    """Scanner DPI tags are trustworthy from 96 up; 72 is a camera default and says nothing."""
    try:
        dpi = float(value[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if 96 <= dpi <= 2400 else None


def _raster_cover(page: pymupdf.Page, images: list[dict]) -> tuple[float, float | None]:
    """Share of the page covered by images, and the resolution of the largest one (DPI)."""
    area = abs(page.rect) or 1.0
    covered = 0.0
    best: tuple[float, float | None] = (0.0, None)
    for info in images:
        bbox = pymupdf.Rect(info["bbox"]) & page.rect
        a = abs(bbox)
        covered += a
        if a > best[0] and bbox.width > 0:
            # the image's pixels over the inches it is drawn across; rotation-safe via the larger sides
            px = max(info.get("width", 0), info.get("height", 0))
            inches = max(bbox.width, bbox.height) / 72
            best = (a, px / inches if inches else None)
    return min(1.0, covered / area), best[1]

