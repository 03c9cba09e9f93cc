"""Faces with five landmarks: libfacedetection (``yuface``, weights compiled into the wheel).

Used twice: the eye checks judge each face found, and orientation asks which way up a photograph
is (a portrait is upright when its face is). The detector finds upright faces (roll up to about
30 degrees), so a face on a page turned sideways is found by looking at the page turned each way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from pipeline.models import iou

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

    def transformed(self, m: np.ndarray, box: tuple[float, float, float, float] | None = None) -> Face:
        """The face's landmarks through the 2 x 3 affine ``m``; its box ``box`` (by default the
        bounding box of its own corners through ``m``)."""

        def p(q: Point) -> Point:
            return (float(m[0, 0] * q[0] + m[0, 1] * q[1] + m[0, 2]), float(m[1, 0] * q[0] + m[1, 1] * q[1] + m[1, 2]))

        if box is None:
            x0, y0, x1, y1 = self.box
            corners = [p(c) for c in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
            box = (min(c[0] for c in corners), min(c[1] for c in corners), max(c[0] for c in corners), max(c[1] for c in corners))
        return Face(box, self.confidence, (p(self.eyes[0]), p(self.eyes[1])), p(self.nose), (p(self.mouth[0]), p(self.mouth[1])))


@lru_cache(maxsize=1)
def _detector():  # noqa: ANN202
    import yuface

    return yuface


def find_faces(image: np.ndarray, *, min_confidence: float = 0.7, side_px: int = 960, min_face_px: int = 16) -> list[Face]:
    """Upright faces in a BGR (or grey) image, coordinates in the image's pixels; the image is searched
    with its long side at most ``side_px``."""
    small, s = _scaled(image, side_px)
    return _detect(small, s, min_confidence, min_face_px)


def _scaled(image: np.ndarray, side_px: int) -> tuple[np.ndarray, float]:
    """The image with its long side at most ``side_px``, and the scale."""
    h, w = image.shape[:2]
    s = min(1.0, side_px / max(h, w))
    small = image if s == 1.0 else cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return small, s


def _detect(small: np.ndarray, s: float, min_confidence: float, min_face_px: int) -> list[Face]:
    """Faces in ``small``, an image scaled by ``s``; coordinates divided back by ``s``."""
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


def faces_any_way_up(
    image: np.ndarray, *, min_confidence: float = 0.7, side_px: int = 960, min_face_px: int = 16, tilts: tuple[float, ...] = ()
) -> list[tuple[int, Face]]:
    """Faces upright in the image turned 0/90/180/270 degrees clockwise: (turn, face in the turned
    image's pixels). A photograph pasted sideways onto a page is found this way.

    Only the page's pictures are searched (``picture_regions``: a face lies in a photograph, and a
    page of print has none), each cut from the page at its own search scale; a page that is mostly
    picture (a photo, a phone capture) is searched whole every way.

    The detector also answers, less surely, for a face turned the wrong way: each face on the
    page is kept once, the way up it was found most surely.

    A photo searched whole is also searched turned by each of ``tilts`` (degrees): a face tilted
    past the detector's reach (two of realdev's portraits turned 25 degrees, and faces cut by a
    selfie's frame) is found there, where no face was found at a right angle. Its landmarks are
    those of the level view when the detector is surer of that by ``TILT_MIN_GAIN``: a barred
    upright face was found turned, its eyes guessed on the cheeks."""
    small, s = _scaled(image, side_px)
    regions = picture_regions(image)
    hs, ws = small.shape[:2]
    found = []
    for turn in (0, 90, 180, 270):
        if regions is None:  # the small image turned: the same pixels as the page turned, then scaled
            faces = _detect(small if turn == 0 else cv2.rotate(small, _TURN[turn]), s, min_confidence, min_face_px)
        else:  # each picture cut from the same small image: the pixels the whole page's search would see
            faces = []
            for x0, y0, x1, y1 in regions:
                box = _on_grid((int(x0 * s), int(y0 * s), int(np.ceil(x1 * s)), int(np.ceil(y1 * s))), ws, hs)
                dx, dy = _turned_offset(box, turn, ws, hs)
                part = small[box[1] : box[3], box[0] : box[2]]
                turned = part if turn == 0 else cv2.rotate(part, _TURN[turn])
                faces += [_shifted(f, dx / s, dy / s) for f in _detect(turned, s, min_confidence, min_face_px)]
        found += [(turn, f, box_on_original(f, turn, image.shape)) for f in faces]
    kept: list[tuple[int, Face, tuple[float, float, float, float]]] = []
    for turn, face, box in sorted(found, key=lambda x: -x[1].confidence):
        if not any(_same_place(box, other) for _, _, other in kept):
            kept.append((turn, face, box))
    if regions is None and tilts:
        tilted = [f for a in tilts for f in _tilted(small, s, a, min_confidence, min_face_px)]
        for face in sorted(tilted, key=lambda f: -f.confidence):
            if not any(_same_place(face.box, other) for _, _, other in kept):
                level = _view(image, face, 0)  # a turned view too: it gives way to the level one when that is surer
                if level is not None and level.confidence >= face.confidence + TILT_MIN_GAIN:
                    face = replace(face, eyes=level.eyes, nose=level.nose, mouth=level.mouth)
                kept.append((0, face, face.box))
    if regions is None or s == 1.0:  # a photo searched whole: the landmarks the eye checks were calibrated on
        return [(turn, face) for turn, face, _ in kept]
    return [(turn, _refined(image, turn, face, box, s, min_face_px)) for turn, face, box in kept]


def _tilted(small: np.ndarray, s: float, angle: float, min_confidence: float, min_face_px: int) -> list[Face]:
    """Faces found in ``small`` (an image scaled by ``s``) turned ``angle`` degrees counter-clockwise,
    all of it kept on a canvas no larger than ``small``'s long side: faces tilted past the
    detector's reach. Landmarks in the unscaled image's pixels; the box of the size found, about
    its centre."""
    h, w = small.shape[:2]
    c, sn = abs(np.cos(np.radians(angle))), abs(np.sin(np.radians(angle)))
    cw, ch = w * c + h * sn, w * sn + h * c
    t = min(1.0, max(w, h) / max(cw, ch))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, t)
    m[:, 2] += ((cw * t - w) / 2, (ch * t - h) / 2)
    size = (int(np.ceil(cw * t)), int(np.ceil(ch * t)))
    view = cv2.warpAffine(small, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    back = cv2.invertAffineTransform(m) / s
    faces = []
    for f in _detect(view, 1.0, min_confidence, min_face_px):
        x0, y0, x1, y1 = f.box
        cx, cy = back @ np.array([(x0 + x1) / 2, (y0 + y1) / 2, 1.0])
        half = (x1 - x0) / 2 / (s * t), (y1 - y0) / 2 / (s * t)
        faces.append(f.transformed(back, box=(cx - half[0], cy - half[1], cx + half[0], cy + half[1])))
    return faces


def _refined(image: np.ndarray, turn: int, face: Face, box: tuple[float, float, float, float], s: float, min_face_px: int) -> Face:
    """A face on a page's picture found again on a cut of the page around it at the page's own
    resolution: the detector gives whole pixels, so on a page searched at half size a small photo's
    eyes come out 2 px or more from where they are (and move with the cut searched), and a small
    face's eyes are judged from their distance and place. The face as found when it is not found
    again there."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    pad = max(x1 - x0, y1 - y0)
    cut = (max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(w, int(np.ceil(x1 + pad))), min(h, int(np.ceil(y1 + pad))))
    part = image[cut[1] : cut[3], cut[0] : cut[2]]
    part = part if turn == 0 else cv2.rotate(part, _TURN[turn])
    small, scale = _scaled(part, REFINE_SIDE_PX)
    if scale <= s:
        return face
    dx, dy = _turned_offset(cut, turn, w, h)
    again = [_shifted(f, dx, dy) for f in _detect(small, scale, REFINE_MIN_CONFIDENCE, min_face_px)]
    best = max(again, key=lambda f: iou(f.box, face.box), default=None)
    return best if best is not None and iou(best.box, face.box) > REFINE_SAME_FACE else face


REFINE_SIDE_PX = 640  # a face's cut (three times its size) is searched again at most this large
REFINE_MIN_CONFIDENCE = 0.5  # the face was already found surely enough; found again it need only be there
REFINE_SAME_FACE = 0.5  # box overlap (IoU) by which the face found again is the one found before


WHOLE_PHOTO_TILTS_DEG = (30, -30)  # a photo searched whole is searched turned by these too (``faces_any_way_up``)
TILT_VIEWS_DEG = (-36, -24, -12, 12, 24, 36)  # a face is looked at again turned by each of these
TILT_FACE_PX = 112  # ... scaled so that its box is this large
TILT_MIN_GAIN = 0.04  # ... and a turned view replaces the face when the detector is this much surer of it.
# bench/calibrate_eyes.py --tilt 25 (realdev's faces turned 25 degrees, then masked; JPEG 95/70/40), masked eyes wrongly
# flagged before -> after: bars 20 -> 6, thin bars 35 -> 19, white 20 -> 11, coloured 28 -> 15, mosaics 33 -> 27, fine
# mosaics 73 -> 73, blur 29 -> 21, dark lenses 46 -> 36; open faces flagged 111 -> 115 of 122 found. Upright, only a
# sideways child's face changed (open 129 -> 127 of 130). With a gain of 0.02, upright open faces fell to 124.


TILT_DOUBT_DEG = 24  # a view turned this far, as sure as the level one but not surer by TILT_MIN_GAIN, leaves the tilt in doubt


@dataclass(frozen=True)
class TiltViews:
    sure: float  # how sure the detector is of the face's best view
    face: Face  # the face with the landmarks of the view taken
    doubt: Face | None  # the face with the landmarks of a turned view about as sure, when its tilt is in doubt


def tilt_corrected(image: np.ndarray, face: Face) -> Face:
    return tilt_views(image, face).face


def tilt_views(image: np.ndarray, face: Face) -> TiltViews:
    """The face with its landmarks taken from the view in which the detector is surest of it, the
    face's surroundings turned by up to 36 degrees either way. The detector places the landmarks of a
    tilted face as if it were upright (on realdev's faces turned 25 degrees, eye lines came out at
    0-8 degrees): a bar laid along a tilted face's eyes then misses the eyes it judges. The box and
    confidence stay as found. With how sure the detector is of its best view (the same face found
    at two turns of the page is taken at the turn it is surest of in any view), and, when a view
    turned ``TILT_DOUBT_DEG`` or more is as sure as the level one without being surer by
    ``TILT_MIN_GAIN``, the face as that view places it: which of the two is right is in doubt."""
    views = [(a, _view(image, face, a)) for a in (0, *TILT_VIEWS_DEG)]
    level = next((f for a, f in views if a == 0 and f is not None), None)
    base = level.confidence if level is not None else face.confidence
    angle, best = max(((a, f) for a, f in views if f is not None), key=lambda v: v[1].confidence, default=(0, None))
    if best is None or angle == 0 or best.confidence < base + TILT_MIN_GAIN:
        far = max((f for a, f in views if f is not None and abs(a) >= TILT_DOUBT_DEG), key=lambda f: f.confidence, default=None)
        doubt = None if far is None or far.confidence < base else replace(face, eyes=far.eyes, nose=far.nose, mouth=far.mouth)
        return TiltViews(max(base, best.confidence if best is not None else 0.0), face, doubt)
    return TiltViews(best.confidence, replace(face, eyes=best.eyes, nose=best.nose, mouth=best.mouth), None)


def _view(image: np.ndarray, face: Face, angle: float) -> Face | None:
    """The face found again in its surroundings turned ``angle`` degrees (counter-clockwise), its
    landmarks in the image's pixels; None when it is not found there."""
    x0, y0, x1, y1 = face.box
    cx, cy, size = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 1.0)
    s = min(TILT_FACE_PX / size, 4.0)
    side = 32 * max(1, round(3 * size * s / 32))
    m = cv2.getRotationMatrix2D((cx, cy), angle, s)
    m[:, 2] += (side / 2 - cx, side / 2 - cy)
    view = cv2.warpAffine(image, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    near = [f for f in _detect(view, 1.0, REFINE_MIN_CONFIDENCE, 8) if np.hypot((f.box[0] + f.box[2] - side) / 2, (f.box[1] + f.box[3] - side) / 2) < 0.35 * size * s]
    if not near:
        return None
    return max(near, key=lambda f: f.confidence).transformed(cv2.invertAffineTransform(m), box=face.box)


PICTURE_SIDE_PX = 960  # long side a page is looked at for pictures (the face search's own size)
PRINT_STROKE_PX = 7  # at that size, dark strokes narrower than this are print (text, rules, a seal's lines), not a picture
PICTURE_PART_PX = 12  # a smaller filled area (at that size) is a speck or a dense glyph, not part of a picture
PICTURE_MIN_PX = 16  # a picture's parts joined are at least the detector's smallest face
PICTURE_JOIN_PX = 21  # parts of one picture (a pale photo's hair, eyes, collar) closer than this, at that size, are one
PICTURE_PAD = 1.0  # a region is searched with this share of its size around it: a photo's pale margin, and context
# enough that the detector answers as it does on the whole page. Measured on realdev's 17 photos pasted small on an A4
# page three ways round and pale (170 searches at both search sizes) against the whole page searched every way: with
# these values no face lost or gained (pad 0.5: 9 searches differed; a join before dropping specks: a face lost), in
# 0.57 of the time; the benchmark's 20 pages (print, seals, a few photos) in 0.17 of the time
WHOLE_PAGE_SHARE = 0.4  # pictures covering more of the page than this: search the page whole


def picture_regions(image: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """Where a photograph can be on a page (x0, y0, x1, y1 in its pixels): areas darker than its paper
    that stay dark when print is closed over (a grey-level closing wider than any stroke). A pale
    photo keeps its hair, eyes and shadows; a padded margin brings in the rest. None when pictures
    cover much of the page, or the page has no clear paper (a phone capture): search it whole."""
    h, w = image.shape[:2]
    s = min(1.0, PICTURE_SIDE_PX / max(h, w))
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    g = cv2.resize(g, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    closed = cv2.morphologyEx(g, cv2.MORPH_CLOSE, np.ones((PRINT_STROKE_PX, PRINT_STROKE_PX), np.uint8))
    paper = float(np.percentile(g, 90))
    if paper < 160:
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats((closed < paper - 25).astype(np.uint8))
    parts = np.flatnonzero((stats[:, 2] >= PICTURE_PART_PX) & (stats[:, 3] >= PICTURE_PART_PX))
    parts = parts[parts > 0]
    if not len(parts):
        return []
    filled = cv2.dilate(np.isin(labels, parts).astype(np.uint8), np.ones((PICTURE_JOIN_PX, PICTURE_JOIN_PX), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(filled)
    boxes = []
    for x, y, bw, bh, _ in stats[1:n]:
        if bw < PICTURE_MIN_PX or bh < PICTURE_MIN_PX:
            continue
        pad = PICTURE_PAD * max(bw, bh)
        boxes.append([max(0, int((x - pad) / s)), max(0, int((y - pad) / s)), min(w, int((x + bw + pad) / s) + 1), min(h, int((y + bh + pad) / s) + 1)])
    merged: list[list[int]] = []
    for b in sorted(boxes):  # padded boxes that overlap are one search
        for m in merged:
            if b[0] < m[2] and m[0] < b[2] and b[1] < m[3] and m[1] < b[3]:
                m[:] = [min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3])]
                break
        else:
            merged.append(b)
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in merged)
    return None if area > WHOLE_PAGE_SHARE * w * h else [(x0, y0, x1, y1) for x0, y0, x1, y1 in merged]


GRID_PX = 32  # the detector's largest stride: a part cut on this grid (from every side of the page) is seen as the page is


def _on_grid(box: tuple[int, int, int, int], w: int, h: int) -> tuple[int, int, int, int]:
    """The box widened to the detector's grid counted from each edge of a w x h image, so that turned
    any way its corner lies on the grid of the turned image too (the same features, the same landmarks)."""
    x0, y0, x1, y1 = box
    g = GRID_PX
    return (x0 // g * g, y0 // g * g, w - max(0, w - x1) // g * g, h - max(0, h - y1) // g * g)


def _turned_offset(box: tuple[int, int, int, int], turn: int, w: int, h: int) -> tuple[int, int]:
    """Where a part of a w x h page (box) lies, turned with it ``turn`` degrees clockwise: the offset of
    the turned part in the turned page's pixels."""
    x0, y0, x1, y1 = box
    return {90: (h - y1, x0), 180: (w - x1, h - y1), 270: (y0, w - x1)}.get(turn, (x0, y0))


def _shifted(face: Face, dx: float, dy: float) -> Face:
    return face.transformed(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]))


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
