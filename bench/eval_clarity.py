"""Precision and recall of the clarity findings on a labelled, generated set.

Labels come from how each page was degraded, with a margin around the decision boundary:
a blur of >= 2.6 pt is unreadable (BLURRY), <= 1.0 pt readable; an effective resolution of
<= 60 DPI is LOW_RESOLUTION, >= 100 DPI is not; a dark, washed-out or glare page is
POOR_EXPOSURE; an empty sheet is WRONG_DOCUMENT. Fonts include every CJK font installed, not
only the one the thresholds were calibrated on.

    python bench/eval_clarity.py
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import Tally  # noqa: E402

from detectors import REGISTRY  # noqa: E402
from pipeline.documents import SourcePage  # noqa: E402
from pipeline.manifest import Slot, parse_manifest  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.context import PageContext, ScreenOptions  # noqa: E402
from pipeline.screen import screen_page  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import generate as S  # noqa: E402

CODES = ("BLURRY", "LOW_RESOLUTION", "POOR_EXPOSURE", "WRONG_DOCUMENT")


def dataset():
    p = S.Person()
    kinds = [S.diploma_html(p), S.appraisal_html(p), S.ce_certificate_html(p), S.publicity_html(p), S.work_summary_html(p, 1400)]
    dpis = (100, 150, 200, 300)
    exposures = [
        lambda im: S.exposure(im, 0.38),
        lambda im: S.exposure(im, 0.28, 175),
        lambda im: S.glare(S.exposure(im, 0.8), center=(0.5, 0.25), radius=0.22),
    ]
    n = 0
    for fi, font in enumerate(S.available_fonts()):
        for ki, html in enumerate(kinds):
            dpi = dpis[(fi + ki) % 4]
            base = S.render_html(html, dpi=dpi, font=font)
            k = dpi / 72
            yield "clean", set(), S.jpeg(base, 85)
            yield "mild blur 0.8pt", set(), S.jpeg(S.blur(base, 0.8 * k), 85)
            yield "grey phone photo", set(), S.jpeg(S.noise(S.exposure(base, 0.82, 10), 5, seed=n), 75)
            yield "blur 3pt", {"BLURRY"}, S.blur(base, 3.0 * k)
            yield "blur 4.5pt", {"BLURRY"}, S.blur(base, 4.5 * k)
            yield "50 DPI", {"LOW_RESOLUTION"}, S.scale(base, 50 / dpi)
            yield "exposure", {"POOR_EXPOSURE"}, exposures[n % 3](base)
            n += 1
    for shade in (255, 245, 230):
        for seed in range(2):
            yield "blank", {"WRONG_DOCUMENT"}, S.noise(np.full((1600, 1130, 3), shade, np.uint8), 2 + seed, seed=seed)


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engines = runtime.engines()
    notices = load_rules()
    manifest = parse_manifest(__import__("json").dumps(S.PacketBuilder(Path("x")).manifest()))
    ctx = PageContext(manifest, notices[manifest.track], Slot.diploma)
    tally = Tally()
    total = 0
    for label, expected, img in dataset():
        total += 1
        res = screen_page(SourcePage(number=1, image=img, scale=1.0, dpi=None), ctx, engines, REGISTRY, ScreenOptions(), "x")
        tally.record(CODES, expected, {f.code.value for f in res.findings}, label)
    print(f"clarity evaluation: {total} pages, fonts {S.available_fonts()}")
    print("\n".join(tally.lines(CODES)))


if __name__ == "__main__":
    main()
