"""Faces with five landmarks: libfacedetection (``yuface``, weights compiled into the wheel).

Used twice: the eye checks judge each face found, and orientation asks which way up a photograph
is (a portrait is upright when its face is). The detector finds upright faces (roll up to about
30 degrees), so a face on a page turned sideways is found by looking at the page turned each way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

_lock = threading.Lock()

Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the image searched
    confidence: float  # 0-1
    eyes: tuple[Point, Point]  # the subject's right eye (viewer's left), then left
    nose: Point
    mouth: tuple[Point, Point]

    @property
    def eye_distance(self) -> float:
        (lx, ly), (rx, ry) = self.eyes
        return float(np.hypot(rx - lx, ry - ly))


@lru_cache(maxsize=1)
def _detector():  # noqa: ANN202
    import yuface

    return yuface


def find_faces(image: np.ndarray, *, min_confidence: float = 0.7, side_px: int = 960, min_face_px: int = 16) -> list[Face]:
    """Upright faces in a BGR (or grey) image, coordinates in the image's pixels."""
    h, w = image.shape[:2]
    s = min(1.0, side_px / max(h, w))
    small = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    with _lock:  # one detector per process
        confs, boxes, marks = _detector().detect(np.ascontiguousarray(small), conf=min_confidence)
    faces = []
    for c, b, lm in zip(confs, boxes, marks, strict=True):
        if min(b[2], b[3]) < min_face_px:
            continue
        p = [(float(lm[i]) / s, float(lm[i + 1]) / s) for i in range(0, 10, 2)]
        x, y, bw, bh = (float(v) / s for v in b)
        if not plausible(p, (x, y, bw, bh)):
            continue
        faces.append(Face((x, y, x + bw, y + bh), float(c) / 100, (p[0], p[1]), p[2], (p[3], p[4])))
    return faces


def plausible(p: list[Point], box: tuple[float, float, float, float]) -> bool:
    """Eyes side by side above the nose, the nose above the mouth, all inside the face."""
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = p
    eye_dist = rx - lx
    return eye_dist > 0.2 * box[2] and max(ly, ry) < ny < (mly + mry) / 2 + 1 and abs(ly - ry) < 0.5 * eye_dist


_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _back(pt: Point, clockwise: int, w: int, h: int) -> Point:
    """A point of the image turned ``clockwise`` degrees, in the unturned image's pixels (w x h)."""
    x, y = pt
    if clockwise == 90:
        return (y, h - 1 - x)
    if clockwise == 180:
        return (w - 1 - x, h - 1 - y)
    if clockwise == 270:
        return (w - 1 - y, x)
    return pt


def faces_any_way_up(image: np.ndarray, **kw: object) -> list[tuple[int, Face]]:
    """Faces upright in the image turned 0/90/180/270 degrees clockwise: (turn, face in the turned
    image's pixels). A photograph pasted sideways onto a page is found this way.

    The detector also answers, less surely, for a face turned the wrong way: each face on the
    page is kept once, the way up it was found most surely."""
    found = []
    for turn in (0, 90, 180, 270):
        img = image if turn == 0 else cv2.rotate(image, _TURN[turn])
        found += [(turn, f, box_on_original(f, turn, image.shape)) for f in find_faces(img, **kw)]  # type: ignore[arg-type]
    kept: list[tuple[int, Face, tuple[float, float, float, float]]] = []
    for turn, face, box in sorted(found, key=lambda x: -x[1].confidence):
        if not any(_same_place(box, other) for _, _, other in kept):
            kept.append((turn, face, box))
    return [(turn, face) for turn, face, _ in kept]


def _same_place(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """The boxes share a fifth of the smaller one: one face, or a turned misreading of part of it."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and ix * iy > 0.2 * smaller


def box_on_original(face: Face, turn: int, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """The face's box in the pixels of the image before it was turned ``turn`` degrees clockwise."""
    h, w = shape[:2]
    pts = [_back(p, turn, w, h) for p in ((face.box[0], face.box[1]), (face.box[2], face.box[3]))]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def upright_turn(image: np.ndarray, *, min_confidence: float = 0.8, side_px: int = 640) -> tuple[int, float] | None:
    """Which clockwise turn makes the faces upright, and the best face's confidence; None when no
    face is found any way up, or the faces disagree. A portrait is upright when its face is."""
    found = faces_any_way_up(image, min_confidence=min_confidence, side_px=side_px, min_face_px=24)
    if not found:
        return None
    votes: dict[int, float] = {}
    for turn, face in found:  # a group photo: most faces are upright the right way up
        votes[turn] = votes.get(turn, 0.0) + face.confidence * face.eye_distance ** 0.5
    ranked = sorted(votes, key=lambda t: -votes[t])
    turn = ranked[0]
    if len(ranked) > 1 and votes[ranked[1]] > 0.5 * votes[turn]:
        return None  # faces every which way (people lying in a circle): the faces cannot say
    return turn, max(f.confidence for t, f in found if t == turn)
