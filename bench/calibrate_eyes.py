"""Eyes covered or visible, measured on real faces (``../shared/realdev``) masked the ways applicants
mask them: black, white and coloured bars of several heights, mosaics of several block sizes,
blur, one eye only, dark lenses; each at JPEG quality 40-95 and at several photo sizes.

For every face the labels give the eye points, so each measure is taken where the eyes really are
and also where the detector puts them (what the screening sees). Prints, per case, how often the
face was found and each eye judged, and the margins of the thresholds in ``FaceConfig``.

    python bench/calibrate_eyes.py            # summary
    python bench/calibrate_eyes.py --measures # the raw measures per eye, for setting thresholds
    python bench/calibrate_eyes.py --tilt 25  # every photo first turned 25 degrees (a tilted face), then masked
    python bench/calibrate_eyes.py paint_shift=0.2 --case=open --case=lenses  # other FaceConfig values, some cases
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors import faces as F  # noqa: E402
from samples.engrave import mask_eyes, tilt_photo  # noqa: E402

REALDEV = Path(__file__).resolve().parents[2] / "shared" / "realdev"


def real_faces(min_eye_px: float = 14.0) -> list[tuple[str, np.ndarray, dict]]:
    """Every labelled face whose eyes are both in the picture and far enough apart to mask."""
    labels = json.loads((REALDEV / "labels.json").read_text())["images"]
    out = []
    for name, lab in labels.items():
        img = cv2.imread(str(REALDEV / "images" / f"{name}.jpg"))
        for k, face in enumerate(lab.get("faces", [])):
            le, re_ = face.get("left_eye"), face.get("right_eye")
            if not le or not re_ or np.hypot(re_[0] - le[0], re_[1] - le[1]) < min_eye_px:
                continue
            out.append((f"{name}#{k}", img, face))
    return out


def jpeg(img: np.ndarray, q: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


CASES = [
    ("open", None, 1.0, "both"),
    ("bar", "bar", 1.0, "both"),
    ("bar thin", "bar", 0.7, "both"),
    ("bar thick", "bar", 1.6, "both"),
    ("white bar", "white", 1.0, "both"),
    ("colour bar", "colour", 1.0, "both"),
    ("mosaic", "mosaic", 1.0, "both"),
    ("mosaic fine", "mosaic", 0.6, "both"),
    ("mosaic coarse", "mosaic", 1.6, "both"),
    ("blur", "blur", 1.0, "both"),
    ("lenses", "lenses", 1.0, "both"),
    ("one eye bar", "bar", 1.0, "left"),
]


def _setting(arg: str) -> tuple[str, float]:
    key, value = arg.lstrip("-").split("=", 1)
    return key, float(value)


def match(face: dict, found: list[F.Face]) -> F.Face | None:
    x0, y0, x1, y1 = face["bbox_px"]
    best, best_iou = None, 0.3
    for f in found:
        ix = max(0, min(x1, f.box[2]) - max(x0, f.box[0]))
        iy = max(0, min(y1, f.box[3]) - max(y0, f.box[1]))
        inter = ix * iy
        iou = inter / ((x1 - x0) * (y1 - y0) + (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) - inter)
        if iou > best_iou:
            best, best_iou = f, iou
    return best


def main() -> None:
    cfg = F.FaceConfig(**dict(_setting(a) for a in sys.argv[1:] if "=" in a and not a.startswith("--case=")))
    only = [a[len("--case=") :] for a in sys.argv[1:] if a.startswith("--case=")]
    faces = real_faces()
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    measures = "--measures" in sys.argv
    tilt = float(sys.argv[sys.argv.index("--tilt") + 1]) if "--tilt" in sys.argv else 0.0
    for key, img, face in faces:
        img, (face,) = tilt_photo(img, [face], tilt)
        for label, how, size, which in CASES:
            if only and label not in only:
                continue
            for q in (95, 70, 40):
                masked = img if how is None else mask_eyes(img, face, how, size, which)
                masked = jpeg(masked, q)
                f = match(face, F.find_faces(masked, cfg))
                st = stats[label]
                st["n"] += 1
                if f is None:
                    st["no face"] += 1
                    continue
                gray = cv2.cvtColor(masked, cv2.COLOR_BGR2GRAY)
                states, seen = F.open_eyes(gray, F.facefind.tilt_views(masked, f), cfg)
                expect = [how is None, how is None] if which == "both" else [False, True]
                flagged = seen > 0
                should = any(expect)
                st["flagged" if flagged else "passed"] += 1
                st["right" if flagged == should else "wrong"] += 1
                if flagged != should and measures:
                    print(f"  wrong: {key} {label} q{q}: {[s.reason for s in states]}")
    print(f"eyes on {len(faces)} real faces (realdev){f', turned {tilt:g} degrees' if tilt else ''}, each case at JPEG 95/70/40")
    print(f"  {'case':14} {'n':>4} {'no face':>8} {'flagged':>8} {'right':>6} {'wrong':>6}")
    for label, *_ in CASES:
        st = stats[label]
        print(f"  {label:14} {st['n']:4} {st['no face']:8} {st['flagged']:8} {st['right']:6} {st['wrong']:6}")


if __name__ == "__main__":
    main()
