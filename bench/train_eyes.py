"""Train and measure the eye model (``detectors/data/eye_model.json``): is an eye open, or covered?

Data: every real face of ``../shared/realdev`` whose eyes are labelled, masked the ways applicants
mask eyes (bars of three heights in black, white and colour, mosaics of three block sizes, blur,
dark lenses, one eye only) and left open, each at JPEG 95/70/40; plus scikit-image's astronaut
photo at five sizes, masked the same ways. Faces are found by the screening's own detector, and
each eye is described where the detector put it, as in screening.

Measured by leave-one-picture-out: each picture's faces are judged by a model trained without any
face of that picture. Printed per mask: how often a face is flagged (an eye judged visible) by the
measures alone, by the model alone, and by both together (what screening does).

    python bench/train_eyes.py            # measure, then write the model trained on everything
    python bench/train_eyes.py --no-write # measure only
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_eyes import CASES, jpeg, mask_eyes, match, real_faces  # noqa: E402

from detectors import faces as F  # noqa: E402
from samples import generate as S  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "detectors" / "data" / "eye_model.json"


def astronaut_faces() -> list[tuple[str, np.ndarray, dict]]:
    out = []
    for w, h in ((295, 413), (150, 210), (413, 579), (240, 336), (180, 252)):
        img = S.face_photo(w, h)
        (lx, ly), (rx, ry) = ((x * w, y * h) for x, y in S.FACE_EYES)
        out.append((f"astronaut{w}#0", img, {"bbox_px": [0.3 * w, 0.1 * h, 0.95 * w, 0.7 * h], "left_eye": [lx, ly], "right_eye": [rx, ry]}))
    return out


def samples(cfg: F.FaceConfig) -> list[dict]:
    rows = []
    for key, img, face in real_faces() + astronaut_faces():
        for label, how, size, which in CASES:
            for q in (95, 70, 40):
                masked = jpeg(img if how is None else mask_eyes(img, face, how, size, which), q)
                found = match(face, F.find_faces(masked, cfg))
                if found is None:
                    continue
                gray = cv2.cvtColor(masked, cv2.COLOR_BGR2GRAY)
                rules = [s.visible for s in _rules(gray, found, cfg)]
                desc = F.eye_descriptors(gray, found)
                for i in range(2):
                    covered = how is not None and (which == "both" or i == 0)
                    rows.append({"picture": key.split("#")[0], "case": label, "x": desc[i], "open": not covered, "rules": rules[i]})
    return rows


def _rules(gray: np.ndarray, face: F.Face, cfg: F.FaceConfig) -> list[F.EyeState]:
    """The measures alone (the model switched off)."""
    return F.eye_states(gray, face, cfg.model_copy(update={"model_open": 0.0}))


def train(x: np.ndarray, y: np.ndarray, lam: float = 1e-2, steps: int = 400, lr: float = 0.5) -> dict:
    """Class-balanced L2 logistic regression by gradient descent on standardised features."""
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    sw = np.where(y == 1, 0.5 / max(y.mean(), 1e-3), 0.5 / max(1 - y.mean(), 1e-3))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * sw
        w -= lr * (z.T @ g / len(y) + lam * w)
        b -= lr * g.mean()
    return {"mean": mean.tolist(), "scale": scale.tolist(), "weights": w.tolist(), "bias": float(b)}


def predict(model: dict, x: np.ndarray) -> np.ndarray:
    z = (x - np.asarray(model["mean"])) / np.asarray(model["scale"]) @ np.asarray(model["weights"]) + model["bias"]
    return 1 / (1 + np.exp(-z))


def main() -> None:
    cfg = F.FaceConfig()
    rows = samples(cfg)
    x = np.asarray([r["x"] for r in rows], np.float32)
    y = np.asarray([r["open"] for r in rows], np.float64)
    pictures = np.asarray([r["picture"] for r in rows])
    p = np.zeros(len(rows))
    for pic in sorted(set(pictures)):
        held = pictures == pic
        p[held] = predict(train(x[~held], y[~held]), x[held])
    rules = np.asarray([r["rules"] for r in rows])
    cases = np.asarray([r["case"] for r in rows])
    print(f"eye model: {len(rows) // 2} faces found ({len(set(pictures))} pictures), leave-one-picture-out")
    print(f"  {'mask':14} {'faces':>5}  flagged by: {'measures':>8} {'model':>6} {'both':>6}   (flagging is right for 'open' and 'one eye bar')")
    stats: dict[str, list] = defaultdict(list)
    for i in range(0, len(rows), 2):
        stats[cases[i]].append((rules[i] or rules[i + 1], p[i] > 0.5 or p[i + 1] > 0.5, any(rules[j] and p[j] >= cfg.model_open for j in (i, i + 1))))
    for label, *_ in CASES:
        v = np.asarray(stats[label], float)
        if len(v):
            print(f"  {label:14} {len(v):5}  {'':11}{v[:, 0].mean():8.3f} {v[:, 1].mean():6.3f} {v[:, 2].mean():6.3f}")
    margin_open = np.percentile(p[(y == 1) & rules], 5)
    print(f"  model probability of open eyes the measures call open: 5th percentile {margin_open:.3f} (threshold {cfg.model_open})")
    if "--no-write" not in sys.argv:
        model = train(x, y) | {"version": f"realdev+astronaut/{len(rows)} eyes"}
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(model, separators=(",", ":")))
        print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
