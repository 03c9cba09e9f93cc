"""Small builders for packet-level tests: files whose pages carry given text lines (no OCR)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.manifest import Manifest, Slot, parse_manifest
from pipeline.models import DocumentInfo, PageInfo, TextLine
from pipeline.context import FileResult, PageResult
from samples.generate import PacketBuilder


def text_file(slot: str, file: str, *pages: list[str]) -> FileResult:
    """A readable file whose page n holds the given lines, top to bottom."""
    results = []
    for n, lines in enumerate(pages, start=1):
        tl = tuple(
            TextLine(text=t, bbox=(0.1, 0.05 + 0.04 * i, 0.9, 0.08 + 0.04 * i), confidence=0.99) for i, t in enumerate(lines)
        )
        results.append(PageResult(slot=Slot(slot), file=file, info=PageInfo(page=n), lines=tl))
    info = DocumentInfo(slot=Slot(slot), file=file, format="pdf", page_count=len(pages), pages=tuple(p.info for p in results))
    return FileResult(document=info, pages=tuple(results))


def manifest(track: str = "review", materials: dict[str, list[str]] | None = None, **changes) -> Manifest:
    b = PacketBuilder(Path("/nonexistent"), track=track)
    data = b.manifest()
    data["materials"] = [{"slot": s, "files": f} for s, f in (materials or {}).items()]
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = dict(data[section])
            if "." in field:
                a, b_ = field.split(".")
                data[section][a] = dict(data[section][a]) | {b_: value}
            else:
                data[section][field] = value
        else:
            data[section] = value
    return parse_manifest(json.dumps(data, ensure_ascii=False, default=str))


class CountingOcr:
    """The real OCR engine, counting every call (full reads and single-line reads)."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.name, self.fingerprint, self.reads, self.line_reads = inner, inner.name, inner.fingerprint, 0, 0
        self.probes = 0  # detection-only looks for text on a page no check reads text from

    @property
    def calls(self) -> int:
        return self.reads + self.line_reads

    def read(self, image, **kw):  # noqa: ANN001, ANN003, ANN201
        self.reads += 1
        return self.inner.read(image, **kw)

    def read_line(self, image):  # noqa: ANN001, ANN201
        self.line_reads += 1
        return self.inner.read_line(image)

    def count_lines(self, image):  # noqa: ANN001, ANN201
        self.probes += 1
        return self.inner.count_lines(image)


class CountingOrientation:
    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.name, self.fingerprint, self.calls = inner, inner.name, inner.fingerprint, 0

    def correction(self, image):  # noqa: ANN001, ANN201
        self.calls += 1
        return self.inner.correction(image)

    def ranked(self, image):  # noqa: ANN001, ANN201
        self.calls += 1
        return self.inner.ranked(image)


def counting(engines):  # noqa: ANN001, ANN201
    from dataclasses import replace

    return replace(engines, ocr=CountingOcr(engines.ocr), orientation=CountingOrientation(engines.orientation))


def review_packet(root: Path, application_id: str = "2024-RV-0001") -> Path:
    """A small review-track packet with planted problems: the applicant's name left unmasked on a
    diploma (a located finding), a sideways appraisal, the rest clean. Four pages."""
    from samples import generate as S

    p = S.Person()
    b = S.PacketBuilder(root, application_id=application_id, track="review", person=p)
    b.add("photo", "photo.jpg", S.encode_image(S.cover_eyes(S.face_photo(), "bar"), "jpeg"))
    b.add("diploma", "diploma.jpg", S.encode_image(S.render_html(S.diploma_html(p)), "jpeg"))
    for y in (2023, 2024):
        html = S.appraisal_html(p, y)
        page = S.masked(S.render_html(html), html, p.name, p.employer)
        if y == 2023:
            page = S.rotate_cw(page, 90)
        b.add("annual_appraisal", f"appraisal_{y}.jpg", S.encode_image(page, "jpeg"))
    b.write()
    return root
