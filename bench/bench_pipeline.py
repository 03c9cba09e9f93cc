"""Screen a generated 20-page packet; print pages/s, pipeline time over bare OCR time, and peak memory.

Both are measured side by side in one run on the same pages: the bare OCR pass reads the
same decoded, upright page images with the same engine; the pipeline pass does everything
(decode, orientation, OCR, quality measures, detectors, thumbnails, report, HTML).

    python bench/bench_pipeline.py [--pages 20] [--repeat 1]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors import REGISTRY  # noqa: E402
from pipeline.documents import Document, ReadLimits  # noqa: E402
from pipeline.html import render_html  # noqa: E402
from pipeline.orientation import turn  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import screen_packet  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import generate as S  # noqa: E402


def build_packet(root: Path, pages: int) -> Path:
    """A review packet of scanned pages: JPEG photos of pages, a multi-page scanned PDF, PNG scans."""
    p = S.Person()
    kinds = [S.diploma_html(p), S.appraisal_html(p), S.ce_certificate_html(p), S.publicity_html(p), S.work_summary_html(p, 1200)]
    def page(i: int):
        img = S.render_html(kinds[i % len(kinds)], dpi=150)
        if i % len(kinds) in (1, 3):  # appraisal and publicity carry the employer's seal
            img = S.draw_seal(img, p.employer, center=(0.7, 0.45))
        if i % len(kinds) == 0:  # a diploma with the holder's photo
            img = S.paste(img, S.face_photo(130, 182), (0.7, 0.55))
        return S.jpeg(S.noise(img, 3, seed=i), 85)

    imgs = [page(i) for i in range(pages)]
    imgs[3] = S.rotate_cw(imgs[3], 90)
    b = S.PacketBuilder(root, application_id="BENCH-0001", track="review", person=p)
    third = pages // 3
    for i, img in enumerate(imgs[:third]):
        b.add("annual_appraisal", f"page_{i:02d}.jpg", S.encode_image(img, "jpeg"))
    b.add("work_summary", "scan.pdf", S.images_pdf(imgs[third : 2 * third], dpi=150))
    for i, img in enumerate(imgs[2 * third :]):
        b.add("ce_certificate", f"scan_{i:02d}.png", S.encode_image(img, "png"))
    return b.write()


def bare_ocr_seconds(packet_dir: Path, engines) -> tuple[float, int]:
    """OCR alone on the same pages: decoded and turned upright beforehand, outside the timer."""
    packet = load_packet(packet_dir)
    images = []
    for _, file in packet.manifest.files():
        doc = Document(packet.source.read(file, 10**9), file, ReadLimits())
        for page in doc.pages():
            rotation, _ = engines.orientation.correction(page.image)
            images.append(turn(page.image, rotation))
    start = time.perf_counter()
    for img in images:
        engines.ocr.read(img)
    return time.perf_counter() - start, len(images)


MASKING = ("names", "employers", "seals", "eyes")


def masking_seconds(packet_dir: Path, engines, notices) -> dict[str, float]:
    """Time of each masking detector over every page, pages prepared (upright, OCRed) beforehand."""
    from dataclasses import replace

    from pipeline.context import PageContext, ScreenOptions
    from pipeline.reading import prepare_page

    packet = load_packet(packet_dir)
    m = packet.manifest
    pages = []
    for slot, file in m.files():
        doc = Document(packet.source.read(file, 10**9), file, ReadLimits())
        for src in doc.pages():
            pages.append((slot, prepare_page(src, slot, file, engines, ScreenOptions())))
    totals = dict.fromkeys(MASKING, 0.0)
    for slot, page in pages:
        ctx = replace(PageContext(m, notices[m.track], slot), ocr=engines.ocr)
        for name in MASKING:
            start = time.perf_counter()
            REGISTRY[name](page, ctx)
            totals[name] += time.perf_counter() - start
    return totals


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        packet_dir = build_packet(Path(tmp) / "packet", args.pages).parent
        t0 = time.perf_counter()
        engines = runtime.engines()
        engines.ocr.read(S.render_html(S.diploma_html(), dpi=72))  # warm the models once
        load_s = time.perf_counter() - t0
        notices = load_rules()

        results = []
        for _ in range(args.repeat):
            ocr_s, n = bare_ocr_seconds(packet_dir, engines)
            start = time.perf_counter()
            result = screen_packet(load_packet(packet_dir), notices, engines, REGISTRY)
            render_html(result.report, result.pages)
            pipe_s = time.perf_counter() - start
            results.append((ocr_s, pipe_s, n))
        masking = masking_seconds(packet_dir, engines, notices)

    ocr_s, pipe_s, n = min(results, key=lambda r: r[1])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pages                      {n}")
    print(f"model load + warm-up       {load_s:.2f} s")
    print(f"bare OCR                   {ocr_s:.2f} s  ({n / ocr_s:.2f} pages/s)")
    print(f"whole pipeline             {pipe_s:.2f} s  ({n / pipe_s:.2f} pages/s)")
    print(f"pipeline / bare OCR        {pipe_s / ocr_s:.3f}   (goal < 1.3)")
    added = sum(masking.values())
    print(f"masking detectors          {added / n * 1000:.0f} ms/page = {added / ocr_s:.3f} of OCR time (goal < 0.15)")
    for name, secs in masking.items():
        print(f"  {name:24} {secs / n * 1000:.0f} ms/page")
    print(f"peak RSS                   {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
