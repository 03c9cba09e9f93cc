"""Orientation accuracy on generated pages in all four rotations: text pages in every available font,
at several DPIs, with JPEG, noise and slight skew, plus photos and a certificate with a photo on it.

    python bench/eval_orientation.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.orientation import get_orientation_model  # noqa: E402
from samples import generate as S  # noqa: E402


def pages():
    p = S.Person()
    kinds = {
        "diploma": S.diploma_html(p),
        "degree": S.degree_html(p),
        "appraisal": S.appraisal_html(p),
        "ce": S.ce_certificate_html(p),
        "publicity": S.publicity_html(p),
        "summary": S.work_summary_html(p, 1500),
    }
    dpis = (100, 150, 200)
    for i, font in enumerate(S.available_fonts()):
        for j, (kind, html) in enumerate(kinds.items()):
            dpi = dpis[(i + j) % 3]
            img = S.render_html(html, dpi=dpi, font=font)
            if j % 2:
                img = S.jpeg(S.noise(img, 4, seed=j), 70)
            if j % 3 == 0:
                img = S.skew(img, 2.5)
            yield f"{kind}/{font}/{dpi}", img
    yield "photo", S.face_photo()
    yield "photo-small", S.face_photo(150, 210)
    yield "photo-jpeg", S.jpeg(S.face_photo(413, 579), 60)
    yield "diploma+photo", S.paste(S.render_html(S.diploma_html(p)), S.face_photo(118, 165), (0.7, 0.55))


def main() -> None:
    model = get_orientation_model()
    total, right, errors = 0, 0, Counter()
    for name, img in pages():
        for turned in (0, 90, 180, 270):
            got, _ = model.correction(S.rotate_cw(img, turned))
            total += 1
            if got == (360 - turned) % 360:
                right += 1
            else:
                errors[f"{name} turned {turned} -> corrected {got}"] += 1
    print(f"orientation: {right}/{total} correct = {right / total:.3f}")
    for e in errors:
        print("  wrong:", e)


if __name__ == "__main__":
    main()
