"""Precision and recall of the masking checks on a labelled, generated set (review track), and
PHOTO_FACE_MISSING for the 2025 photo. Pages go through the whole page pipeline (orientation,
OCR, measures, every detector); labels come from how each page was made.

    python bench/eval_masking.py [--every K] [--keep FILE]   # a subset: every K-th page and those listed
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import Tally, engines_and_options, kept, subset_args  # noqa: E402

from detectors import REGISTRY  # noqa: E402
from pipeline.documents import SourcePage  # noqa: E402
from pipeline.manifest import Slot, parse_manifest  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.context import PageContext  # noqa: E402
from pipeline.screen import screen_page  # noqa: E402
from samples import generate as S  # noqa: E402

CODES = ("UNMASKED_NAME", "UNMASKED_EMPLOYER", "UNMASKED_SEAL", "UNMASKED_EYES", "PHOTO_FACE_MISSING")
P = S.Person()
OTHER = S.Person(name="阿依努丽·吐尔逊", employer="乌鲁木齐市第七中学")
FONTS = S.available_fonts()


def grey(img):
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def degrade(img, k):
    return [lambda i: i, lambda i: S.jpeg(S.noise(i, 4, seed=k), 65), lambda i: S.blur(i, 0.8), lambda i: S.jpeg(i, 80)][k % 4](img)


def text_pages():
    """Certificates with the name and/or employer open, masked, half masked, or someone else's."""
    docs = [
        ("diploma", S.diploma_html, {"name"}),
        ("ce_certificate", S.ce_certificate_html, {"name", "employer"}),
        ("annual_appraisal", S.appraisal_html, {"name", "employer"}),
        ("unit_publicity", S.publicity_html, {"name", "employer"}),
    ]
    k = 0
    for font in FONTS:
        for slot, make, has in docs:
            html = make(P)
            variants = ["open", "masked", "half", "name only masked", "other person"]
            for v in variants:
                k += 1
                src = make(OTHER) if v == "other person" else html
                img = S.render_html(src, dpi=150, font=font)
                expect = set()
                if v == "open":
                    expect = {f"UNMASKED_{w.upper()}" for w in has}
                if v in ("masked", "half", "name only masked"):
                    for whom in has:
                        text = P.name if whom == "name" else P.employer
                        if whom == "employer" and v == "name only masked":
                            expect.add("UNMASKED_EMPLOYER")
                            continue
                        if whom == "name" and v == "half":
                            img = S.mask_box(img, S.text_box(html, "买买提", font=font))
                            expect.add("UNMASKED_NAME")
                            continue
                        for box in _all_boxes(html, text, font):
                            img = S.mask_box(img, box)
                yield f"{slot}/{font}/{v}", slot, degrade(img, k), expect


def _all_boxes(html, text, font):
    import pymupdf

    page = S._html_page(pymupdf.open(), html, S.A4_PT, 56, font)
    w, h = page.rect.width, page.rect.height
    return [(r.x0 / w - 0.004, r.y0 / h - 0.004, r.x1 / w + 0.004, r.y1 / h + 0.004) for r in page.search_for(text)]


def seal_pages():
    base_pub = S.publicity_html(P)
    k = 0
    for font in FONTS:
        for case in ("red", "faint", "oval", "grey", "masked", "grey masked", "half masked", "school on diploma", "none", "unreadable"):
            k += 1
            html = S.diploma_html(P) if case == "school on diploma" else base_pub
            img = S.render_html(html, dpi=150, font=font)
            # the employer's name in the text is masked, so only the seal is at stake
            for box in _all_boxes(html, P.employer, font) + _all_boxes(html, P.name, font):
                img = S.mask_box(img, box)
            center = (0.68, 0.42) if case != "school on diploma" else (0.7, 0.85)
            if case in ("red", "masked", "grey", "unreadable", "grey masked", "half masked"):
                img = S.draw_seal(img, P.employer, center=center)
            elif case == "faint":
                img = S.draw_seal(img, P.employer, center=(0.3, 0.25), opacity=0.5)
            elif case == "oval":
                img = S.draw_seal(img, P.employer, center=center, oval=0.72)
            elif case == "school on diploma":
                img = S.draw_seal(img, P.school + "学位专用章", center=center)
            if case in ("masked", "grey masked"):
                img = S.mask_box(img, (0.56, 0.34, 0.80, 0.50))
            if case == "half masked":
                img = S.mask_box(img, (0.56, 0.34, 0.68, 0.50))
            if case in ("grey", "grey masked"):
                img = grey(img)
            if case == "unreadable":
                img = S.blur(img, 2.6)
            expect = {"UNMASKED_SEAL"} if case in ("red", "faint", "oval", "grey", "unreadable", "half masked") else set()
            slot = "diploma" if case == "school on diploma" else "unit_publicity"
            yield f"seal {case}/{font}", slot, degrade(img, k) if case != "unreadable" else img, expect


def eye_pages():
    k = 0
    for size in ((295, 413), (150, 210), (413, 579), (200, 280), (240, 336)):
        for how in ("open", "bar", "white", "mosaic", "blur", "one eye"):
            for q in (None, 70):
                k += 1
                img = S.face_photo(*size)
                if how == "one eye":
                    img = S.cover_eyes(img, "bar", which="left")
                elif how != "open":
                    img = S.cover_eyes(img, how)
                img = S.jpeg(img, q) if q else img
                yield f"photo {size} {how} q{q}", "photo", img, {"UNMASKED_EYES"} if how in ("open", "one eye") else set()
    for how in ("open", "bar", "mosaic"):
        for font in FONTS[:2]:
            photo = S.face_photo(130, 182) if how == "open" else S.cover_eyes(S.face_photo(130, 182), how)
            img = S.paste(S.render_html(S.diploma_html(P), dpi=150, font=font), photo, (0.7, 0.55))
            for box in _all_boxes(S.diploma_html(P), P.name, font):
                img = S.mask_box(img, box)
            yield f"diploma photo {how}/{font}", "diploma", img, {"UNMASKED_EYES"} if how == "open" else set()


def photo_pages():
    from skimage import data

    for size in ((295, 413), (413, 579), (200, 280)):
        for how in ("open", "bar", "mosaic", "none", "document"):
            img = S.face_photo(*size)
            if how in ("bar", "mosaic"):
                img = S.cover_eyes(img, how)
            elif how == "none":
                img = cv2.resize(np.ascontiguousarray(data.coffee()[:, :, ::-1]), size)
            elif how == "document":
                img = S.render_html(S.diploma_html(P), dpi=100)
            yield f"2025 photo {size} {how}", "photo", S.jpeg(img, 80), set() if how == "open" else {"PHOTO_FACE_MISSING"}


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engines, options = engines_and_options()
    every, keep, _ = subset_args(sys.argv[1:])
    rules = load_rules()

    def ctx(track, slot):
        m = parse_manifest(json.dumps(S.PacketBuilder(Path("x"), track=track, person=P).manifest(), ensure_ascii=False))
        return PageContext(m, rules[m.track], Slot(slot))

    tally = Tally()
    n = i = 0
    sets = [("review", text_pages()), ("review", seal_pages()), ("review", eye_pages()), ("initial_junior", photo_pages())]
    for track, pages in sets:
        for label, slot, img, expect in pages:
            i += 1
            if not kept(i, label, every, keep):
                continue
            n += 1
            res = screen_page(SourcePage(number=1, image=img, scale=1.0, dpi=None), ctx(track, slot), engines, REGISTRY, options, "x")
            tally.record(CODES, expect, {f.code.value for f in res.findings}, label)
    print(f"masking evaluation: {n} pages, fonts {FONTS}")
    print("\n".join(tally.lines(CODES)))


if __name__ == "__main__":
    main()
