"""Time the checks across documents add to a packet, against the OCR time of the same packet.

    python bench/bench_cross_documents.py [--packets 3]

Screens generated 2025-track packets (15 pages each: ID card, photo, diploma, degree, CE
certificates, appraisals, publicity, result, promise letter, report, a 3-page work summary) through
``screen_packet`` with the real engines, and measures separately: the OCR calls, the perceptual
fingerprint computed on each page at screening time, and each packet rule (the four across
documents: holder names, ID validity, duplicates, dates). Then the same rules on one large packet
(the pages of every packet together, 45+ pages) for the quadratic duplicate comparison.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors import PACKET_CHECKS, document_dates, duplicates, holder_names, id_card  # noqa: E402
from pipeline import fingerprint  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import check_packet, screen_packet  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import variants as V  # noqa: E402
from samples import generate as S  # noqa: E402

CROSS = {holder_names.check: "holder names", id_card.check: "ID validity", duplicates.check: "duplicates", document_dates.check: "dates"}


class TimedOcr:
    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.name, self.seconds = inner, inner.name, 0.0

    def _timed(self, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        t = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t

    def read(self, image, keep_unread: bool = False):  # noqa: ANN001, ANN201
        return self._timed(self.inner.read, image, keep_unread=keep_unread)

    def read_line(self, image):  # noqa: ANN001, ANN201
        return self._timed(self.inner.read_line, image)

    def __getattr__(self, name: str):  # noqa: ANN204 - fingerprint and the rest, as the engine has them
        return getattr(self.inner, name)


def build_packet(root: Path, k: int) -> Path:
    p = V.PEOPLE[k % len(V.PEOPLE)]
    font = V.all_fonts()[k % len(V.all_fonts())]
    b = S.PacketBuilder(root, application_id=f"2025-BENCH-{k}", track="fhj_three_year", person=p)

    def img(html: str) -> bytes:
        return S.encode_image(S.jpeg(V.render(html, font=font), 80), "jpeg")

    b.add("id_card_portrait", "id_front.jpg", img(V.id_portrait_html(p)))
    b.add("id_card_emblem", "id_back.jpg", img(V.id_emblem_html(date(2016, 4, 1), date(2036, 4, 1))))
    b.add("photo", "photo.jpg", S.encode_image(S.face_photo(), "jpeg"))
    b.add("diploma", "diploma.jpg", img(V.diploma_variant_html(p, date(1994, 3, 12), date(2012, 9, 1), date(2016, 7, 1), template=k % 3)))
    b.add("title_certificate", "title.jpg", img(V.title_certificate_html(p, date(2019, 12, 31))))
    for y in (2022, 2023, 2024):
        b.add("annual_appraisal", f"appraisal_{y}.jpg", img(S.appraisal_html(p, y)))
        b.add("ce_certificate", f"ce_{y}.jpg", img(V.ce_variant_html(p, y, "公需科目", template=k % 3)))
    b.add("unit_publicity", "publicity.jpg", img(S.publicity_html(p)))
    b.add("publicity_result", "result.jpg", img(S.publicity_result_html(p)))
    b.add("promise_letter", "letter.jpg", img(V.promise_letter_dated_html(p, date(2025, 5, 20))))
    b.add("work_summary", "summary.pdf", S.images_pdf([V.render(h, font=font) for h in S.work_summary_pages(p, 2400, per_page=900)]))
    return b.write()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=3)
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    base = runtime.engines()
    notices = load_rules()
    fp_seconds = [0.0]
    original = fingerprint.of

    def timed_of(image):  # noqa: ANN001, ANN202
        t = time.perf_counter()
        try:
            return original(image)
        finally:
            fp_seconds[0] += time.perf_counter() - t

    fingerprint.of = timed_of  # the report calls it as fingerprint.of
    rows, all_files = [], []
    with TemporaryDirectory() as tmp:
        for k in range(args.packets):
            packet = load_packet(build_packet(Path(tmp) / f"p{k}", k))
            ocr = TimedOcr(base.ocr)
            engines = type(base)(ocr=ocr, orientation=base.orientation, min_orientation_score=base.min_orientation_score)
            fp_seconds[0] = 0.0
            t0 = time.perf_counter()
            result = screen_packet(packet, notices, engines, runtime.detectors(), ())  # page work only
            total = time.perf_counter() - t0
            files = _files(result, packet)
            all_files += files
            times = _time_checks(packet.manifest, notices, files)
            rows.append((len(result.pages), total, ocr.seconds, fp_seconds[0], times))
    fingerprint.of = original
    print(f"{len(rows)} packets (fhj_three_year), real OCR and orientation")
    print(f"{'pages':>5} {'screen s':>8} {'OCR s':>7} {'fingerprints ms':>15} " + " ".join(f"{n + ' ms':>16}" for n in CROSS.values()) + f" {'all rules ms':>12} {'cross/OCR':>9}")
    for pages, total, ocr_s, fp_s, times in rows:
        cross = sum(times[n] for n in CROSS.values()) + fp_s
        print(
            f"{pages:>5} {total:>8.1f} {ocr_s:>7.1f} {1000 * fp_s:>15.1f} "
            + " ".join(f"{1000 * times[n]:>16.1f}" for n in CROSS.values())
            + f" {1000 * times['all']:>12.1f} {100 * cross / ocr_s:>8.2f}%"
        )
    big = packet.manifest.model_copy(update={"materials": ()})
    times = _time_checks(big, notices, all_files, repeat=3)
    pages = sum(len(f.pages) for f in all_files)
    print(f"one packet of {pages} pages (every packet's files together; rules only): " + ", ".join(f"{n} {1000 * times[n]:.1f} ms" for n in CROSS.values()))


def _files(result, packet):  # noqa: ANN001, ANN202
    by = defaultdict(list)
    for p in result.pages:
        by[(p.slot, p.file)].append(p)
    from pipeline.screen import file_result

    return [file_result(slot, file, "jpeg", len(by[(slot, file)]), by[(slot, file)], ()) for slot, file in packet.manifest.files()]


def _time_checks(m, notices, files, repeat: int = 5) -> dict[str, float]:  # noqa: ANN001
    notice = notices[m.track]
    out: dict[str, float] = {}
    for spec in PACKET_CHECKS:
        name = CROSS.get(spec.fn, spec.name)
        t = time.perf_counter()
        for _ in range(repeat):
            spec.fn(m, notice, files)
        out[name] = (time.perf_counter() - t) / repeat
    t = time.perf_counter()
    for _ in range(repeat):
        check_packet(m, notice, files, PACKET_CHECKS)
    out["all"] = (time.perf_counter() - t) / repeat
    return out


if __name__ == "__main__":
    main()
