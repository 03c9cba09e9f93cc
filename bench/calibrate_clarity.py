"""Where blur stops being readable: OCR accuracy against the text-normalised blur measure, across DPI.

Renders certificate pages at 100-300 DPI, blurs them by 0-5.5 pt (the same physical blur at every
DPI), and prints for each: OCR character accuracy against the sharp page's reading, the measured
``blur_px`` and raw Laplacian variance. The clarity threshold sits between the largest ``blur_px``
still read correctly and the smallest that is not.

    python bench/calibrate_clarity.py
"""

from __future__ import annotations

import difflib
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import quality  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import generate as S  # noqa: E402


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    ocr = runtime.engines().ocr
    p = S.Person()
    docs = {"diploma": S.diploma_html(p), "appraisal": S.appraisal_html(p), "summary": S.work_summary_html(p, 900)}
    print(f"{'doc':10} {'dpi':>4} {'blur_pt':>7} {'ocr_acc':>7} {'blur_px':>7} {'page_px':>7} {'unread':>7}")
    readable, unreadable = [], []
    for name, html in docs.items():
        for dpi in (100, 150, 200, 300):
            sharp = S.render_html(html, dpi=dpi)
            truth = "".join(ln.text for ln in ocr.read(sharp))
            for blur_pt in (0, 0.6, 1.2, 1.6, 1.8, 2.0, 2.4, 2.8, 3.6, 5.0):
                img = S.blur(sharp, blur_pt * dpi / 72)
                found = ocr.read(img, keep_unread=True)
                lines = [ln for ln in found if ln.text]
                unread = [ln.bbox for ln in found if not ln.text]
                got = "".join(ln.text for ln in lines)
                acc = difflib.SequenceMatcher(None, truth, got, autojunk=False).ratio()
                gray = quality.gray_of(img)
                # as the pipeline measures it: text height from this page's own OCR boxes
                h = quality.text_height(lines, img.shape[0]) or quality.box_height(unread, img.shape[0])
                b = quality.blur_px(gray, h)
                page_b = quality.blur_px(gray, None)
                ink = quality.unread_ink(gray, lines)
                (readable if acc >= 0.95 else unreadable if acc < 0.7 else []).append((b, page_b, ink))
                print(f"{name:10} {dpi:>4} {blur_pt:>7} {acc:>7.3f} {b:>7.2f} {page_b:>7.2f} {ink:>7.2f}")
    print(f"largest blur_px read correctly (acc >= 0.95):  {max(b for b, _, _ in readable):.2f}")
    print(f"smallest blur_px not read (acc < 0.70):        {min(b for b, _, _ in unreadable):.2f}")
    print(f"largest page blur read correctly:              {max(p for _, p, _ in readable):.2f}")
    print(f"smallest page blur not read:                   {min(p for _, p, _ in unreadable):.2f}")
    print(f"largest unread ink read correctly:             {max(i for _, _, i in readable):.2f}")
    print(f"unread ink of pages not read (min, median):    {min(i for _, _, i in unreadable):.2f}, {float(np.median([i for _, _, i in unreadable])):.2f}")


if __name__ == "__main__":
    main()
