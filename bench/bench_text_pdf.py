"""Time to read and to screen a text PDF of 10, 50 and 200 pages: linear in pages.

pdfplumber parses the file once (on the first page with text), not once per page. For
comparison the table also times the former way, ``pdfplumber.open(pages=[n])`` for each page,
which walks the whole page tree every time (quadratic in pages).

Columns (seconds, then milliseconds a page): text = the text layer of every page as the
pipeline reads it, the file parsed once; re-open = the same words, the file re-opened for each
page (as before); decode = every page rendered and its text layer read (``Document.page``);
screen = the whole recipe on a one-file packet of a 2025 track (orientation model, text layer
instead of OCR, measures, the orientation and clarity checks, the packet rules, report); the
review track's masking checks would add their own cost per page (seals, faces), the same on
every page, which is not what this measures.

    python bench/bench_text_pdf.py [--pages 10 50 200]
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf  # noqa: E402

from detectors import PACKET_CHECKS, REGISTRY  # noqa: E402
from pipeline.context import ScreenOptions  # noqa: E402
from pipeline.documents import Document, ReadLimits  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.screen import screen_packet  # noqa: E402
from prescreen import runtime  # noqa: E402
from prescreen.settings import Settings  # noqa: E402
from samples import generate as S  # noqa: E402


def text_pdf(pages: int) -> bytes:
    """A work summary of ``pages`` text pages (ten distinct pages, repeated)."""
    p = S.Person()
    ten = pymupdf.open(stream=S.html_pdf(S.work_summary_pages(p, chars=6000, per_page=600)[:10]), filetype="pdf")
    ten.subset_fonts()  # as office exports do: ~4 kB a page, not the whole CJK font on every page
    ten = pymupdf.open(stream=ten.tobytes(garbage=4, deflate=True), filetype="pdf")
    out = pymupdf.open()
    while out.page_count < pages:
        out.insert_pdf(ten, to_page=min(9, pages - out.page_count - 1))
    return out.tobytes(garbage=4, deflate=True)


def decode_seconds(data: bytes, limits: ReadLimits) -> float:
    started = time.perf_counter()
    doc = Document(data, "summary.pdf", limits)
    for n in range(1, doc.page_count + 1):
        doc.page(n)
    return time.perf_counter() - started


def text_seconds(data: bytes) -> float:
    import pdfplumber

    started = time.perf_counter()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_words(keep_blank_chars=True, use_text_flow=True, y_tolerance=3)
            page.close()
    return time.perf_counter() - started


def reopen_seconds(data: bytes) -> float:
    import pdfplumber

    started = time.perf_counter()
    count = pymupdf.open(stream=data, filetype="pdf").page_count
    for n in range(1, count + 1):
        with pdfplumber.open(io.BytesIO(data), pages=[n]) as pdf:
            pdf.pages[0].extract_words(keep_blank_chars=True, use_text_flow=True, y_tolerance=3)
    return time.perf_counter() - started


def screen_seconds(data: bytes, pages: int, engines, notices) -> float:  # noqa: ANN001
    limits = ReadLimits(max_pages=pages, max_total_pages=pages, max_pages_by_slot={"work_summary": pages})
    with tempfile.TemporaryDirectory() as tmp:
        b = S.PacketBuilder(Path(tmp) / "p", application_id="BENCH-TEXT", track="initial_junior")
        b.add("work_summary", "summary.pdf", data)
        packet = load_packet(b.write())
        started = time.perf_counter()
        result = screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, ScreenOptions(limits=limits))
        elapsed = time.perf_counter() - started
    assert sum(len(d.pages) for d in result.report.documents) == pages
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 50, 200])
    args = parser.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engines, notices = runtime.engines(), runtime.notices(Settings())
    limits = ReadLimits(max_pages=max(args.pages))
    screen_seconds(text_pdf(2), 2, engines, notices)  # models loaded before any timer
    print(f"{'pages':>5} {'text s':>8} {'ms/p':>6} {'re-open s':>10} {'ms/p':>6} {'decode s':>9} {'ms/p':>6} {'screen s':>9} {'ms/p':>6}")
    for pages in args.pages:
        data = text_pdf(pages)
        cols = [text_seconds(data), reopen_seconds(data), decode_seconds(data, limits), screen_seconds(data, pages, engines, notices)]
        print(f"{pages:>5} " + " ".join(f"{c:>{w}.2f} {1000 * c / pages:>6.1f}" for c, w in zip(cols, (8, 10, 9, 9), strict=True)), flush=True)


if __name__ == "__main__":
    main()
