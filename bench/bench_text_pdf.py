"""Time to read and to screen a text PDF of 10, 50 and 200 pages: linear in pages.

pdfplumber parses the file once (on the first page with text), not once per page. For
comparison the table also times the former way, ``pdfplumber.open(pages=[n])`` for each page,
which walks the whole page tree every time (quadratic in pages).

Columns: decode = every page rendered and its text layer read (``Document.page``); per page =
decode / pages; once-per-page = the text layer alone, re-opening the file for each page;
screen = the whole recipe on a one-file packet (orientation model, text layer instead of OCR,
measures, every review-track check, report).

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
    out = pymupdf.open()
    while out.page_count < pages:
        out.insert_pdf(ten, to_page=min(9, pages - out.page_count - 1))
    return out.tobytes(garbage=3)


def decode_seconds(data: bytes, limits: ReadLimits) -> float:
    started = time.perf_counter()
    doc = Document(data, "summary.pdf", limits)
    for n in range(1, doc.page_count + 1):
        doc.page(n)
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
        b = S.PacketBuilder(Path(tmp) / "p", application_id="BENCH-TEXT", track="review")
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
    print(f"{'pages':>5} {'decode s':>9} {'ms/page':>8} {'once-per-page s':>16} {'screen s':>9} {'ms/page':>8}")
    for pages in args.pages:
        data = text_pdf(pages)
        dec = decode_seconds(data, limits)
        old = reopen_seconds(data)
        scr = screen_seconds(data, pages, engines, notices)
        print(f"{pages:>5} {dec:>9.2f} {1000 * dec / pages:>8.1f} {old:>16.2f} {scr:>9.2f} {1000 * scr / pages:>8.1f}")


if __name__ == "__main__":
    main()
