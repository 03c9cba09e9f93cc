"""The auditor's HTML report: one self-contained page in Chinese, thumbnails with each finding's box and crop."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import cv2
import numpy as np
from jinja2 import Environment, PackageLoader

from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS, SLOT_LABELS, TRACK_LABELS, without_direction_controls
from pipeline.manifest import Slot
from pipeline.models import Finding, Report
from pipeline.context import PageResult


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("pipeline", "templates"), autoescape=True, finalize=without_direction_controls)
    env.filters["pct"] = lambda v: f"{100 * float(v):.2f}%"
    return env


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii") if jpeg else ""


def crop(jpeg: bytes, bbox: tuple[float, float, float, float], pad: float = 0.02, max_px: int = 480) -> bytes:
    """A crop of the thumbnail around a finding's box (the evidence an auditor looks at first)."""
    if not jpeg:
        return b""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return b""
    h, w = img.shape[:2]
    x0, y0 = max(0, int((bbox[0] - pad) * w)), max(0, int((bbox[1] - pad) * h))
    x1, y1 = min(w, int((bbox[2] + pad) * w) + 1), min(h, int((bbox[3] + pad) * h) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return b""
    part = img[y0:y1, x0:x1]
    s = min(1.0, max_px / max(part.shape[:2]))
    if s < 1:
        part = cv2.resize(part, (max(1, int(part.shape[1] * s)), max(1, int(part.shape[0] * s))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", part, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else b""


def render_html(report: Report, pages: Iterable[PageResult]) -> str:
    by_page: dict[tuple, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_page[(f.slot, f.file, f.page)].append(f)
    thumbs = {(p.slot, p.file, p.info.page): p for p in pages}
    documents = []
    for doc in report.documents:
        doc_pages = []
        for info in doc.pages:
            result = thumbs.get((doc.slot, doc.file, info.page))
            jpeg = result.thumbnail if result else b""
            items = [
                {"f": f, "n": i + 1, "crop": data_uri(crop(jpeg, f.bbox)) if f.bbox else ""}
                for i, f in enumerate(by_page.get((doc.slot, doc.file, info.page), []))
            ]
            doc_pages.append({"info": info, "src": data_uri(jpeg), "marks": items})
        documents.append(
            {"doc": doc, "file_findings": by_page.get((doc.slot, doc.file, None), []), "pages": doc_pages}
        )
    packet_findings = [f for f in report.findings if f.file is None]
    counts = {"error": sum(f.severity == "error" for f in report.findings)}
    counts["warning"] = len(report.findings) - counts["error"]
    return _env().get_template("report.html.j2").render(
        r=report,
        documents=documents,
        packet_findings=packet_findings,
        counts=counts,
        code_label=lambda c: CODE_LABELS.get(c, str(c)),
        slot_label=lambda s: SLOT_LABELS.get(Slot(s), str(s)) if s else "",
        track_label=TRACK_LABELS.get(report.track, report.track),
        recommendation_label=RECOMMENDATION_LABELS[report.recommendation],
        anchor=_anchor,
    )


def _anchor(slot: object, file: str, page: int | None) -> str:
    key = f"{slot}-{file}" + (f"-p{page}" if page else "")
    return "d" + base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def evidence_name(n: int, finding: Finding) -> str:
    """The evidence crop of the ``n``-th finding of a report (1-based), as published and served."""
    return f"{n:03d}-{finding.code.value}.jpg"


def evidence_images(report: Report, pages: Iterable[PageResult]) -> dict[str, bytes]:
    """One JPEG crop per located finding, named by ``evidence_name`` in report order."""
    thumbs = {(p.slot, p.file, p.info.page): p.thumbnail for p in pages}
    out = {}
    for i, f in enumerate(report.findings, start=1):
        if f.bbox and (jpeg := thumbs.get((f.slot, f.file, f.page))):
            data = crop(jpeg, f.bbox)
            if data:
                out[evidence_name(i, f)] = data
    return out


def page_images(report: Report, pages: Iterable[PageResult]) -> dict[str, bytes]:
    """Each page's thumbnail, named ``<document index>-<page>.jpg`` (what the review app shows)."""
    thumbs = {(p.slot, p.file, p.info.page): p.thumbnail for p in pages}
    return {
        f"{d}-{info.page}.jpg": jpeg
        for d, doc in enumerate(report.documents)
        for info in doc.pages
        if (jpeg := thumbs.get((doc.slot, doc.file, info.page)))
    }
