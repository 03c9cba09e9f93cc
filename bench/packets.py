"""The packets the speed benchmarks screen, and the naive program they are measured against.

- ``benchmark_packet``: bench_pipeline's review packet (scanned pages: JPEG, a scanned PDF, PNG).
- ``mixed_packet``: a 2025 packet of mixed slots, as applicants upload them: 200-DPI scans, phone
  photos (perspective, uneven light, JPEG), a grey photocopy, pages turned 90/180/270, the
  one-inch photo, the ID card, multi-page PDFs.
- ``phone_packet``: 12-megapixel phone photos of pages (4000 x 3000 JPEG), for peak memory.
- ``naive_seconds``: decode, orientation model, one full-page OCR with rapidocr as shipped: nothing else.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import build_packet  # noqa: E402
from other_layouts import photocopy, photographed  # noqa: E402

from pipeline.documents import Document, ReadLimits  # noqa: E402
from pipeline.orientation import get_orientation_model, turn  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from samples import generate as S  # noqa: E402


def benchmark_packet(root: Path, pages: int = 20) -> Path:
    return build_packet(root, pages).parent


def mixed_packet(root: Path, pages: int = 40, seed: int = 7) -> Path:
    """A 2025 (initial_intermediate) packet of ``pages`` pages over mixed slots and captures."""
    rng = np.random.default_rng(seed)
    p = S.Person()
    b = S.PacketBuilder(root, application_id="2025-MIX-0001", track="initial_intermediate", person=p)
    fonts = S.available_fonts()

    def capture(img: np.ndarray, k: int) -> np.ndarray:
        how = k % 4
        if how == 1:
            return photographed(img, seed=k)
        if how == 2:
            return photocopy(img, seed=k)
        return S.jpeg(S.noise(img, 3, seed=k), 85)

    def page(html: str, k: int, seal: bool = False) -> np.ndarray:
        img = S.render_html(html, dpi=200, font=fonts[k % len(fonts)])
        if seal:
            img = S.draw_seal(img, p.employer, center=(0.7, 0.8))
        img = capture(img, k)
        turns = (0, 0, 0, 90, 0, 180, 0, 0, 270, 0)
        return S.rotate_cw(img, turns[k % len(turns)])

    b.add("photo", "photo.jpg", S.encode_image(S.face_photo(413, 579), "jpeg"))
    b.add("id_card_portrait", "id_front.jpg", S.encode_image(photographed(S.render_html(S.id_card_portrait_html(p), dpi=200), seed=1), "jpeg"))
    made = 2
    k = 0
    plan = [
        ("diploma", lambda: S.diploma_html(p)),
        ("degree_certificate", lambda: S.degree_html(p)),
        ("annual_appraisal", lambda: S.appraisal_html(p, 2022 + k % 3)),
        ("ce_certificate", lambda: S.ce_certificate_html(p, 2024, ("公需科目", "专业科目")[k % 2])),
        ("unit_publicity", lambda: S.publicity_html(p)),
        ("promise_letter", lambda: S.promise_letter_html(p)),
    ]
    while made < pages - 6:
        slot, html = plan[k % len(plan)]
        seal = slot in ("annual_appraisal", "unit_publicity")
        b.add(slot, f"{slot}_{k:02d}.jpg", S.encode_image(page(html(), k, seal), "jpeg"))
        made += 1
        k += 1
    summary = [page(h, 100 + i) for i, h in enumerate(S.work_summary_pages(p, 2400, per_page=300)[: pages - made])]
    b.add("work_summary", "work_summary.pdf", S.images_pdf(summary, dpi=200))
    b.write()
    del rng
    return root


def phone_packet(root: Path, pages: int = 4) -> Path:
    """Pages photographed by a 12-megapixel phone: 4000 x 3000 JPEGs."""
    p = S.Person()
    b = S.PacketBuilder(root, application_id="2024-PHONE-001", track="review", person=p)
    kinds = [S.appraisal_html(p), S.diploma_html(p), S.ce_certificate_html(p), S.publicity_html(p)]
    for i in range(pages):
        img = photographed(S.render_html(kinds[i % len(kinds)], dpi=300), seed=i)
        img = cv2.resize(img, (3000, 4000), interpolation=cv2.INTER_CUBIC)
        b.add("annual_appraisal" if i % 2 == 0 else "ce_certificate", f"phone_{i}.jpg", S.encode_image(img, "jpeg"))
    b.write()
    return root


def a4_packet(root: Path, pages: int = 6) -> Path:
    """A review packet of 200-DPI A4 scans (PNG and a multi-page PDF)."""
    p = S.Person()
    b = S.PacketBuilder(root, application_id="2024-A4-0001", track="review", person=p)
    kinds = [S.appraisal_html(p), S.diploma_html(p), S.ce_certificate_html(p), S.publicity_html(p)]
    imgs = [S.noise(S.render_html(kinds[i % len(kinds)], dpi=200), 3, seed=i) for i in range(pages)]
    for i, img in enumerate(imgs[: pages // 2]):
        b.add("annual_appraisal", f"a4_{i}.png", S.encode_image(img, "png"))
    b.add("ce_certificate", "a4.pdf", S.images_pdf(imgs[pages // 2 :], dpi=200))
    b.write()
    return root


class Naive:
    """What a program would do with nothing but the models: decode each page, turn it upright by the
    document orientation model, read it once with rapidocr as it ships (onnxruntime, its own sizes);
    ``classifier`` False leaves out rapidocr's text-line classifier (a page turned upright needs none)."""

    def __init__(self, classifier: bool = True) -> None:
        from rapidocr import RapidOCR

        params = {"Global.log_level": "error"} | ({} if classifier else {"Global.use_cls": False})
        self.ocr = RapidOCR(params=params)
        self.orientation = get_orientation_model()

    def screen(self, packet_dir: Path) -> int:
        packet = load_packet(packet_dir)
        n = 0
        for _, file in packet.manifest.files():
            doc = Document(packet.source.read(file, 10**9), file, ReadLimits())
            for page in doc.pages():
                rotation, _ = self.orientation.correction(page.image)
                self.ocr(turn(page.image, rotation))
                n += 1
        return n

    def seconds(self, packet_dir: Path) -> tuple[float, int]:
        start = time.perf_counter()
        n = self.screen(packet_dir)
        return time.perf_counter() - start, n
