"""``UNMASKED_SEAL``: a seal still visible, whose text names the employer, or a seal whose text
cannot be read, for a reason that shows, on a material the employer issues.

Finding a seal:
- coloured ink (red to magenta): hue, saturation and "red dominance" (red well above green and
  blue), so faint or half-transparent ink over black text still counts. Blobs of that ink are
  grouped at two scales (a ring is often broken into letters), an ellipse is fitted to each group's
  outline, and it is a seal only if ink runs along most of that ellipse (half a ring is enough: a
  half-masked seal is still visible) and there is lettering inside the ring;
- shape, for grey-scale scans where the colour is gone: Hough circles accepted only with a
  continuous ring, paper just outside it, and lettering in the band inside it (an empty circle or a
  logo is not a seal).
A seal under an opaque mask box leaves no ring, so it is not found: masked seals raise nothing.

Reading a seal: the ring band is unwrapped along the fitted ellipse into a straight strip, rim on
top (seal letters stand with their tops to the rim), sampled evenly along the arc so oval seals
keep their letter widths. Red ink is isolated by its redness (black text under a seal turns
white). The strip is cut into arcs at the gaps in the lettering and the longest arc, the unit's
name, is read by the PP-OCR recogniser; the bottom serial number and the horizontal lines in the
middle are not part of it.

An unreadable verdict is given only when the reading is poor and the seal shows why: too faint
(little ink, or ink barely darker than the paper), partly covered (the ring is broken under an
opaque mask), or too small or blurred for its letters to be resolved. A clear seal that the
recogniser cannot read is not called unreadable.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.names import LEGAL_FORM, distinctive_part, find, name_variants
from pipeline.extract import normalize
from pipeline.manifest import Slot
from pipeline.models import BBox, Finding, FindingCode, Page, iou, relative
from pipeline.context import PageContext

EMPLOYER_ISSUED = frozenset({Slot.unit_publicity, Slot.publicity_result, Slot.recommendation_report, Slot.annual_appraisal})
"""Materials the employer issues (CONTRACT §3): an unmasked seal on them is most likely its own.
The supervising department's seal on ``supervisor_opinion`` is not the employer's."""


class SealConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    work_side_px: int = Field(1400, description="long side the page is searched for coloured ink at")
    grey_side_px: int = Field(800, description="long side a grey-scale page is searched for rings at")
    min_diameter: float = Field(0.05, description="seal diameter as a share of the page's short side (a 40 mm seal on A4 is ~0.19)")
    max_diameter: float = Field(0.98, description="a photograph of a seal alone fills the picture")
    min_diameter_px: int = Field(40, description="a smaller ring (at work size) carries no legible lettering")
    red_saturation: int = Field(30, description="HSV saturation (0-255) of faint red ink; paper and black text measure < 25")
    red_dominance: int = Field(22, description="R minus max(G, B) for ink that reads as red; grey paper measures < 12")
    red_ratio: float = Field(0.14, description="(R - max(G, B)) / R: redness independent of lighting (dim photos)")
    lettering_dominance: int = Field(
        12,
        description="R minus max(G, B) above the page's own median that counts as a ring's lettering: thin strokes of "
        "faint ink lose half their colour to JPEG's chroma subsampling (measured 22-58 against 29-78 before re-encoding)",
    )
    lettering_ratio: float = Field(0.07, description="the same as a share of R, for lettering inside a ring already found")
    ring_coverage: float = Field(0.45, description="share of the ellipse outline carrying ink: half a ring (a seal half masked) still counts")
    grey_ring_coverage: float = Field(0.8, description="the same for colourless seals, where circles are cheap")
    hough_split_px: int = Field(
        48,
        description="radius (px at grey_side_px) above which rings are voted for on the page at half size: voting costs "
        "edge pixels x radii tried, and large radii on a dense page were most of a page's seal search (0.9 s of 0.9 s on "
        "a work summary); on 144 generated grey seals 60 are found this way against 57 voting at full size, in a third "
        "of the time (see the README's figures)",
    )
    half_size_votes: int = Field(40, description="Hough accumulator threshold on the half-size page (45 at full size; 30-40 found the same rings)")
    grey_coarse_coverage: float = Field(
        0.64, description="ring coverage, in a band as wide as a half-size vote's error, a circle needs before it is fitted to the ink"
    )
    solid_inside_radii: tuple[float, ...] = Field(
        (0.96, 0.92, 0.88, 0.84),
        description="radii (shares of the ring's) just inside a ring: a seal's ring, single or double, has paper at one "
        "of them at least, between ring and lettering; the edge of a dark shape (a head on a grey photo) does not",
    )
    solid_inside_coverage: float = Field(
        0.65,
        description="coverage above which every solid_inside_radii counts as inked: a portrait's head on a grey copy "
        "measured 0.7-0.8 (a false seal); no generated grey seal is lost down to 0.6, 5 of 60 at 0.5",
    )
    lettering_coverage: float = Field(
        0.15, description="share of the text band's angles carrying ink: a ring with no lettering is not a seal; a four-letter name covers ~0.3"
    )
    min_seal_to_text: float = Field(
        1.5,
        description="a seal's smaller diameter is at least this many times the height of the page's text lines (their "
        "median, with 3 lines read or more): red printed digits on a train ticket (a 0, a 9, a K) fitted as rings measured "
        "0.48-0.91; realdev's seals 2.3-5.8 (the smallest beside handwritten captions), generated ones 4.2-4.9",
    )
    min_text_chars: int = Field(4, description="a reading with fewer 汉字 does not name a unit")
    min_text_confidence: float = Field(0.6, description="mean recogniser confidence of a reading that names a unit")
    employer_similarity: float = Field(0.7, description="share of the employer's distinctive characters found in order in the seal text")
    employer_run_chars: int = Field(
        4,
        description="a ring read in part names the employer by a run of at least this many of its characters read in a row "
        "(at least employer_run_chars - 1 of them outside the stock words of names): the pale 成都 seal read 我都网证互限务有限公司 "
        "names 成都网证互联网信息服务有限公司 by 都网证互; 3 let 北京中科开元电子 name 北京中导开源科技 (a city without 市, and 中)",
    )
    employer_run_share: float = Field(0.34, description="... and the run is at least this share of the employer's distinctive name")
    faint_dominance: float = Field(
        25,
        description="90th-percentile redness (R - max(G, B)) inside a red seal below which it is too faint to read: legible "
        "real seals (scans and phone photos, realdev) measure 37-158, bleached ones 12-13",
    )
    faint_contrast: float = Field(55, description="paper minus ink grey level of a grey seal below which it is too faint to read")
    min_letter_px: float = Field(9, description="letter height (ring band) in page pixels below which the lettering cannot be resolved")
    broken_ring: float = Field(0.8, description="ring coverage below which a seal is partly covered, when an opaque area lies on it")
    blurred_edge: float = Field(
        0.3,
        description="edge steepness (gradient / contrast per px) of the ink below which letters are smeared: legible real seals "
        "(realdev: scans, phone photos, e-invoices) measure 0.34-0.46, a seal blurred by 4 px 0.21",
    )


@dataclass(frozen=True)
class Seal:
    center: tuple[float, float]  # pixels of the search image
    axes: tuple[float, float]  # semi-axes along the ellipse's own x and y, search-image pixels
    angle: float  # degrees: rotation of the ellipse's x axis
    red: bool
    scale: float  # search-image pixels per page pixel
    coverage: float = 1.0  # share of the outline carrying ink

    def on_page(self) -> tuple[tuple[float, float], tuple[float, float]]:
        s = self.scale
        return (self.center[0] / s, self.center[1] / s), (self.axes[0] / s, self.axes[1] / s)

    def bbox(self, shape: tuple[int, ...]) -> BBox:
        h, w = shape[:2]
        (cx, cy), (a, b) = self.on_page()
        t = np.radians(self.angle)
        hx = np.hypot(a * np.cos(t), b * np.sin(t))
        hy = np.hypot(a * np.sin(t), b * np.cos(t))
        return (max(0.0, (cx - hx) / w), max(0.0, (cy - hy) / h), min(1.0, (cx + hx) / w), min(1.0, (cy + hy) / h))


# ---------------------------------------------------------------- finding


def find_seals(image: np.ndarray, cfg: SealConfig) -> list[Seal]:
    return find_marks(image, cfg)[0]


def find_marks(image: np.ndarray, cfg: SealConfig) -> tuple[list[Seal], list[tuple[int, int, int, int]]]:
    """The page's round and oval seals, and its square seals (``square_seals``), from one look at its red."""
    h, w = image.shape[:2]
    s = min(1.0, cfg.work_side_px / max(h, w))
    img = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    short = min(img.shape[:2])
    dmin, dmax = max(cfg.min_diameter * short, cfg.min_diameter_px * min(1.0, s * 2)), cfg.max_diameter * short
    mask = red_mask(img, cfg)
    seals = _red_seals(img, mask, cfg, dmin, dmax, s)
    if not seals and is_grey(img):  # colour is gone: look for the ring's shape instead
        g = min(1.0, cfg.grey_side_px / max(img.shape[:2]))
        small = img if g == 1.0 else cv2.resize(img, (round(img.shape[1] * g), round(img.shape[0] * g)), interpolation=cv2.INTER_AREA)
        seals = _grey_seals(small, cfg, dmin * g, dmax * g, s * g)
    return seals, _squares(mask, s)


def is_grey(img: np.ndarray) -> bool:
    """A grey-scale scan (or one whose colour was lost): the channels agree almost everywhere."""
    b, g, r = (img[::4, ::4, i].astype(np.int16) for i in range(3))
    spread = np.abs(r - g) + np.abs(g - b)
    return float(np.percentile(spread, 99.5)) < 24


def redness(img: np.ndarray) -> np.ndarray:
    """R minus max(G, B), clipped at 0 (int16)."""
    b, g, r = (img[:, :, i].astype(np.int16) for i in range(3))
    return np.clip(r - np.maximum(g, b), 0, 255)


def red_mask(img: np.ndarray, cfg: SealConfig) -> np.ndarray:
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    reddish = ((hue <= 14) | (hue >= 150)) & (sat >= cfg.red_saturation) & (val >= 40)
    red = redness(img)
    r = img[:, :, 2].astype(np.float32)
    dominant = (red >= cfg.red_dominance) & (red >= cfg.red_ratio * np.maximum(r, 1))
    return ((reddish & dominant) * 255).astype(np.uint8)


def _faint_red(img: np.ndarray, cfg: SealConfig) -> np.ndarray:
    """Red strokes too faint for ``red_mask``: redder than the page's paper by a margin (a warm or
    tinted paper's own redness is its median, not ink)."""
    red = redness(img)
    r = img[:, :, 2].astype(np.float32)
    floor = float(np.median(red[::4, ::4])) + cfg.lettering_dominance
    return (((red >= floor) & (red >= cfg.lettering_ratio * np.maximum(r, 1))) * 255).astype(np.uint8)


def _red_seals(img: np.ndarray, mask: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float) -> list[Seal]:
    if cv2.countNonZero(mask) < 0.1 * dmin * dmin:
        return []
    near = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    long = max(40, int(0.3 * max(img.shape[:2])))  # printed rules and table lines are not seals
    lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, long), np.uint8)) | cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, np.ones((long, 1), np.uint8)
    )
    mask = cv2.subtract(mask, cv2.dilate(lines, np.ones((3, 3), np.uint8)))
    found: list[Seal] = []
    # letters of a ring are apart at small scales, merged at larger ones; try both
    pieces: tuple = ()
    for k in sorted({max(3, int(dmin / 12)) | 1, max(5, int(dmin / 5)) | 1}):
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        pieces = pieces or contours
        for c in contours:
            seal = _ellipse_seal(c, near, cfg, dmin, dmax, s)
            if seal is not None and not any(_same(seal, f) for f in found):
                found.append(seal)
    found += _broken_rings(pieces, near, cfg, dmin, dmax, s, found)
    letters = mask | _faint_red(img, cfg)  # inside a red ring, fainter red strokes are its lettering
    seals = sorted((f for f in found if _has_lettering(letters, f, cfg) and _red_within(img, f)), key=lambda f: -f.axes[0] * f.axes[1] * f.coverage)
    kept: list[Seal] = []
    for f in seals:  # the largest well-covered ring first; a part of it (inner ring, clump of letters) is not another seal
        if not any(_overlap(f, g) > 0.5 for g in kept):
            kept.append(f)
    return kept


BROKEN_RING_PARTS = 8  # the largest red arcs outside every seal found, joined two or three at a time
BROKEN_RING_MIN_PART = 0.25  # ... each at least this share of the smallest seal's diameter


def _broken_rings(contours: tuple, near: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float, found: list[Seal]) -> list[Seal]:
    """Seals whose ring came out in pieces: a pale or unevenly inked impression leaves arcs apart
    wider than any closing joins without merging print. Two or three of the larger red arcs
    left over are fitted as one ellipse, which must then carry ink around as much of its outline
    as any ring (``ring_coverage``) and have paper outside it."""
    parts = []
    for c in contours:
        x, y, bw, bh = cv2.boundingRect(c)
        if len(c) < 10 or max(bw, bh) < BROKEN_RING_MIN_PART * dmin:
            continue
        if any(_inside(f, (x + bw / 2, y + bh / 2)) for f in found):
            continue
        parts.append(c)
    parts = sorted(parts, key=len, reverse=True)[:BROKEN_RING_PARTS]
    out: list[Seal] = []
    for n in (3, 2):
        for combo in itertools.combinations(parts, n):
            seal = _ellipse_seal(np.vstack(combo), near, cfg, dmin, dmax, s)
            if seal is not None and not any(_same(seal, f) or _inside(f, seal.center) for f in (*found, *out)):
                out.append(seal)
    return out


def _inside(seal: Seal, point: tuple[float, float]) -> bool:
    """Whether a point (search-image pixels) lies within the seal's ellipse, a little grown."""
    return bool(_radius2(seal, point[0], point[1]) <= 1.1**2)


def _radius2(seal: Seal, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """Squared elliptical radius of points (search-image pixels) about the seal: 1 on its outline."""
    ca, sa = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    dx, dy = np.asarray(x, float) - seal.center[0], np.asarray(y, float) - seal.center[1]
    u, v = (dx * ca + dy * sa) / max(seal.axes[0], 1.0), (-dx * sa + dy * ca) / max(seal.axes[1], 1.0)
    return u * u + v * v


def _overlap(a: Seal, b: Seal) -> float:
    """Share of ``a``'s bounding box inside ``b``'s."""
    ra, rb = max(a.axes), max(b.axes)
    ix = max(0.0, min(a.center[0] + ra, b.center[0] + rb) - max(a.center[0] - ra, b.center[0] - rb))
    iy = max(0.0, min(a.center[1] + ra, b.center[1] + rb) - max(a.center[1] - ra, b.center[1] - rb))
    return ix * iy / (4 * ra * ra)


def _ellipse_seal(contour: np.ndarray, near: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float) -> Seal | None:
    if len(contour) < 20:
        return None
    x, y, bw, bh = cv2.boundingRect(contour)
    if not (dmin <= max(bw, bh) <= dmax) or min(bw, bh) < 0.45 * max(bw, bh):
        return None
    hull = cv2.convexHull(contour)
    if len(hull) < 5:
        return None
    (cx, cy), (a1, a2), angle = cv2.fitEllipse(hull)
    if not (dmin <= max(a1, a2) <= dmax * 1.2) or min(a1, a2) < 0.45 * max(a1, a2):
        return None  # a degenerate fit, not the blob's outline
    if angle > 45:  # keep the ellipse's own axes near the image's, so "the bottom" is the page's bottom
        angle, a1, a2 = angle - 90, a2, a1
    elif angle < -45:
        angle, a1, a2 = angle + 90, a2, a1
    # the hull hugs the ring's outer edge: the ring line itself lies a little inside
    axes = (a1 / 2 * 0.97, a2 / 2 * 0.97)
    coverage = _ring_coverage(near, (cx, cy), axes, angle)
    if coverage < cfg.ring_coverage:
        return None
    if _in_view(near.shape, (cx, cy), axes, angle) < RING_IN_VIEW:
        return None  # an outline mostly beyond the picture's edges is not a ring it shows
    # a ring has paper outside it, where the picture shows what is there; a clump of letters inside a bigger seal has
    # more letters around, and the edge of a red table a photographed ticket lies on has more table
    if _ring_coverage(near, (cx, cy), (axes[0] * 1.15, axes[1] * 1.15), angle, thin=True, seen=True) > 0.5 * coverage:
        return None
    return Seal((cx, cy), axes, angle, True, s, coverage)


RED_WITHIN = 0.25  # red ink inside a seal (its 99th-percentile redness within 0.8 of the ring) is at least this share of
# the ring's (90th percentile): its lettering is the ring's ink. Realdev's seals measure 0.41-2.9 (faint ones 0.85-2.9), a
# generated seal half masked passes; an ellipse fitted to the edges of a red table under a photographed ticket 0.16


def _red_within(img: np.ndarray, seal: Seal) -> bool:
    """Red ink inside the ring as well as on it (search-image pixels)."""
    (cx, cy), (a, b) = seal.center, seal.axes
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, int(cx - 1.1 * a)), max(0, int(cy - 1.1 * b)), min(w, int(cx + 1.1 * a) + 1), min(h, int(cy + 1.1 * b) + 1)
    if x1 <= x0 or y1 <= y0:
        return False
    yy, xx = np.mgrid[y0:y1, x0:x1]
    q = _radius2(seal, xx, yy)
    rd = redness(img[y0:y1, x0:x1])
    inside, ring = rd[q <= 0.8**2], rd[(q > 0.9**2) & (q < 1.08**2)]
    if inside.size < 30 or ring.size < 30:
        return True  # too small to tell: the other tests decide
    return float(np.percentile(inside, 99)) >= RED_WITHIN * max(float(np.percentile(ring, 90)), 1.0)


RING_IN_VIEW = 0.75  # share of a seal's outline inside the picture: a seal photographed or scanned cut by the edge keeps
# most of its ring; an ellipse fitted to the edges of a red table a ticket lies on ran half beyond it


def _same(a: Seal, b: Seal) -> bool:
    d = np.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1])
    return d < 0.3 * max(*a.axes, *b.axes) and 0.7 < max(a.axes) / max(b.axes) < 1.4


def _has_lettering(ink: np.ndarray, seal: Seal, cfg: SealConfig) -> bool:
    """Ink in the text band inside the ring, around enough of it: a seal, not an empty circle."""
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    hits = np.zeros(t.shape, bool)
    h, w = ink.shape[:2]
    ca, sa = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    ink = cv2.dilate(ink, np.ones((3, 3), np.uint8))
    for rho in np.linspace(0.5, 0.9, 9):
        ex, ey = seal.axes[0] * rho * np.cos(t), seal.axes[1] * rho * np.sin(t)
        x = np.rint(seal.center[0] + ex * ca - ey * sa).astype(int)
        y = np.rint(seal.center[1] + ex * sa + ey * ca).astype(int)
        ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        hits[ok] |= ink[y[ok], x[ok]] > 0
    return float(hits.mean()) >= cfg.lettering_coverage


def _grey_seals(img: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float) -> list[Seal]:
    """Seals on a page whose colour is gone: a ring (a circle by Hough, an oval by its outline)
    with paper just outside it and lettering inside."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    ink = (gray < min(200, float(np.percentile(gray, 90)) - 40)).astype(np.uint8) * 255
    candidates = [((cx, cy), (r, r), 0.0) for cx, cy, r in _circles(gray, ink, dmin, dmax, cfg)]
    candidates += _grey_ovals(ink, dmin, dmax)
    out: list[Seal] = []
    for center, axes, angle in candidates:
        # a seal's ring is a line with paper outside it; text or a table covers every radius alike
        coverage = _ring_coverage(ink, center, axes, angle, thin=True)
        if coverage < cfg.grey_ring_coverage:
            continue
        if _ring_coverage(ink, center, (axes[0] * 1.15, axes[1] * 1.15), angle, thin=True) > 0.5:
            continue
        if all(_ring_coverage(ink, center, (axes[0] * k, axes[1] * k), angle, thin=True) > cfg.solid_inside_coverage for k in cfg.solid_inside_radii):
            continue  # ink all the way in: the edge of a dark shape (a head, a suit), not a ring
        inner = np.zeros_like(ink)
        cv2.ellipse(inner, (int(center[0]), int(center[1])), (int(axes[0] * 0.75), int(axes[1] * 0.75)), angle, 0, 360, 255, -1)
        inside = float((ink[inner > 0] > 0).mean()) if inner.any() else 0.0
        seal = Seal(center, axes, angle, False, s, coverage)
        if not (0.02 < inside < 0.5 and _has_lettering(ink, seal, cfg)):  # lettering, not an empty ring or a solid blot
            continue
        if any(np.hypot(center[0] - o.center[0], center[1] - o.center[1]) < 0.5 * min(o.axes) for o in out):
            continue  # the same ring found both ways
        out.append(seal)
    return out


def _circles(gray: np.ndarray, ink: np.ndarray, dmin: float, dmax: float, cfg: SealConfig) -> list[tuple[float, float, float]]:
    """Circles of a seal's size (centre x, y and radius in ``gray``'s pixels): Hough's gradient voting,
    large radii on a half-size page and then fitted back to the ring's ink on this one."""
    r0, r1 = int(dmin / 2), int(dmax / 2)
    smooth = cv2.medianBlur(gray, 5)
    out: list[tuple[float, float, float]] = []
    top = min(r1, max(r0, cfg.hough_split_px))
    found = cv2.HoughCircles(smooth, cv2.HOUGH_GRADIENT, dp=1.5, minDist=dmin, param1=120, param2=45, minRadius=r0, maxRadius=top)
    out += [(float(x), float(y), float(r)) for x, y, r in ([] if found is None else found[0])]
    if r1 > top:
        half = cv2.resize(smooth, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)
        found = cv2.HoughCircles(half, cv2.HOUGH_GRADIENT, dp=1.5, minDist=dmin / 2, param1=120, param2=cfg.half_size_votes, minRadius=top // 2, maxRadius=r1 // 2)
        for x, y, r in [] if found is None else found[0]:
            cx, cy, rr = 2 * float(x), 2 * float(y), 2 * float(r)
            # most votes are text; only a circle with ink along it, within the vote's error, is fitted
            if _ring_coverage(ink, (cx, cy), (rr, rr), 0.0) >= cfg.grey_coarse_coverage:
                out.append(_fit_ring(ink, cx, cy, rr))
    return out


_FIT_GRID = np.array([(dr, dx, dy) for dr in (-2, -1, 0, 1, 2) for dx in (-2, 0, 2) for dy in (-2, 0, 2)], np.float64)


def _fit_ring(ink: np.ndarray, cx: float, cy: float, r: float) -> tuple[float, float, float]:
    """The circle near (cx, cy, r) that lies best on the ink (a half-size vote is 2 px off at most):
    the thin-band coverage of each of the 45 candidates, all at once; the first best wins."""
    dr, dx, dy = _FIT_GRID.T
    best = int(np.argmax(_coverages(ink, cx + dx, cy + dy, r + dr, r + dr, 0.0, 1)))
    return cx + float(dx[best]), cy + float(dy[best]), r + float(dr[best])


def _grey_ovals(ink: np.ndarray, dmin: float, dmax: float) -> list[tuple[tuple[float, float], tuple[float, float], float]]:
    """Ellipses fitted to the outer outline of ink shapes of a seal's size (oval seals, and circles
    Hough missed); whether each is a ring is for the caller's coverage test."""
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = []
    for c in contours:
        if len(c) < 20:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if not (dmin <= max(w, h) <= dmax and min(w, h) >= 0.5 * max(w, h)):
            continue
        (cx, cy), (a, b), angle = cv2.fitEllipse(c)
        if min(a, b) < 0.5 * max(a, b):
            continue
        # the fit runs along the ring's outer edge: move it to the middle of a thin stroke
        out.append(((float(cx), float(cy)), (float(a) / 2 * 0.985, float(b) / 2 * 0.985), float(angle)))
    return out


def _ring_coverage(
    mask: np.ndarray, center: tuple[float, float], axes: tuple[float, float], angle: float, thin: bool = False, seen: bool = False
) -> float:
    """Share of points along the ellipse with ink within a few pixels of the outline; ``seen``: of
    the points inside the image only (what lies beyond its edge is neither ink nor paper)."""
    band = 1 if thin else max(2, int(0.06 * max(axes)))
    c = np.array([center[0]]), np.array([center[1]]), np.array([axes[0]]), np.array([axes[1]])
    return float(_coverages(mask, *c, angle, band, seen)[0])


def _in_view(shape: tuple[int, ...], center: tuple[float, float], axes: tuple[float, float], angle: float) -> float:
    """Share of the ellipse's outline (180 points, as ``_coverages`` samples it) inside an image of ``shape``."""
    t = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    ca, sa = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x = np.rint(center[0] + axes[0] * np.cos(t) * ca - axes[1] * np.sin(t) * sa)
    y = np.rint(center[1] + axes[0] * np.cos(t) * sa + axes[1] * np.sin(t) * ca)
    h, w = shape[:2]
    return float(((x >= 0) & (x < w) & (y >= 0) & (y < h)).mean())


def _coverages(
    mask: np.ndarray, cx: np.ndarray, cy: np.ndarray, a: np.ndarray, b: np.ndarray, angle: float, band: int, seen: bool = False
) -> np.ndarray:
    """``_ring_coverage`` of many ellipses of one angle at once (centres and semi-axes as arrays):
    180 points along each, ink within ``band`` px of the outline across it."""
    t = np.linspace(0, 2 * np.pi, 180, endpoint=False)[None, :, None]
    k = np.array([-band, 0, band], np.float32)[None, None, :]
    aa, bb = a[:, None, None] + k, b[:, None, None] + k
    ca, sa = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x = np.rint(cx[:, None, None] + aa * np.cos(t) * ca - bb * np.sin(t) * sa).astype(int)
    y = np.rint(cy[:, None, None] + aa * np.cos(t) * sa + bb * np.sin(t) * ca).astype(int)
    h, w = mask.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    hit = np.zeros(x.shape, bool)
    hit[inside] = mask[y[inside], x[inside]] > 0
    if seen:
        return hit.any(axis=2).sum(axis=1) / np.maximum(inside.any(axis=2).sum(axis=1), 1)
    return hit.any(axis=2).mean(axis=1)


# ---------------------------------------------------------------- reading


STRIP_HEIGHT = 48  # the recogniser's input height
TOP_ARC_DEG = (55, 305)  # the ring's top, degrees clockwise from the bottom: where a unit's name runs, read as well
# as the lettered arcs found (a line across the seal's middle that reaches the ring hides where the name ends).
# bench/eval_seal_text.py, the unwrapped reading alone within 2 edits: generated engravings 29 -> 34 of 48, realdev 5 of 13
# either way; what the screening reads (both readers) is unchanged on those sets, and the small 天津 seal pasted on a form
# and saved as JPEG is read (上津瑞佳讯贸易有限公司 instead of 业)


@dataclass(frozen=True)
class Ring:
    """A seal's ring band unwrapped: ``ink`` is dark-on-white, rim on top, reading left to right."""

    ink: np.ndarray  # uint8 grey strip, STRIP_HEIGHT high
    letter_px: float  # height of the text band in page pixels
    arcs: tuple[tuple[int, int], ...]  # column ranges holding lettering, longest first


INK_RED_SHARE = 0.2  # redness counted as the seal's ink, as a share of its strongest (99th percentile)
INK_RED_MIN, INK_RED_MAX = 8.0, 20.0  # ... within these levels (R - max(G, B)); 20 was the fixed level before
INK_RED_REACH = 5  # px: red found this close counts (a JPEG stores colour per 2 x 2 pixels, blurred over 8 x 8 blocks)
# Measured by ring texts read within 2 edits (bench/eval_seal_text.py's sets; before -> after): realdev's 13 seals
# as found 6 -> 6, pasted on a form and saved as JPEG 5 -> 6, 48 generated engravings 42 -> 42; with the seal text
# model at 640 px as well, 7, 6 and 43.


def ink_image(region: np.ndarray, red: bool) -> np.ndarray:
    """Dark-on-white grey image of the seal's ink.

    Red ink is taken from the luminance (full resolution even in a JPEG, whose colour is stored at
    half resolution) where the colour says red, scaled so the ink is dark; black print, far darker
    than red ink, turns white, so text under a seal does not mix with its letters. Where the colour
    says red is judged against the seal's own strongest red (``INK_RED_SHARE``) and widened by the
    JPEG's colour blocks (``INK_RED_REACH``): thin letters of a pale impression keep a fifth of the
    ring's redness after compression, not a fixed 20 levels.
    """
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    if not red:
        return gray
    rd = redness(region)
    level = min(INK_RED_MAX, max(INK_RED_MIN, INK_RED_SHARE * float(np.percentile(rd, 99))))
    core = rd >= level
    if int(core.sum()) < 20:
        return np.full_like(gray, 255)
    red_px = cv2.dilate(core.astype(np.uint8), np.ones((INK_RED_REACH, INK_RED_REACH), np.uint8)) > 0
    y = gray.astype(np.float32)
    paper = float(np.percentile(y, 90))
    ink = float(np.percentile(y[core], 10))  # the red ink's own level: print beside it is not ink
    black = ink - 0.35 * max(paper - ink, 1.0)  # clearly darker than the red ink: black print
    depth = np.clip((paper - y) / max(paper - ink, 1.0), 0, 1)
    depth[~red_px | (y < black)] = 0
    return (255 - depth * 255).astype(np.uint8)


def _unwrap(
    image: np.ndarray, seal: Seal, rho: tuple[float, float], rows: int, arc: tuple[float, float] | None = None
) -> tuple[np.ndarray, float]:
    """Sample the band between ``rho`` (fractions of the semi-axes) along the ellipse, evenly in arc
    length, clockwise from ``arc[0]`` to ``arc[1]`` (radians of the ellipse's parameter, image y
    down): by default the whole ring from the bottom, through the left, over the top."""
    (cx, cy), (a, b) = seal.on_page()
    ca, sa = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    t0, t1 = arc or (np.pi / 2, np.pi / 2 + 2 * np.pi)
    t = np.linspace(t0, t1, 1440, endpoint=False)
    mid = (rho[0] + rho[1]) / 2
    dx, dy = -a * mid * np.sin(t), b * mid * np.cos(t)
    step = (t1 - t0) / 1440
    along = np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy))[:-1]]) * step
    length = float(along[-1] + np.hypot(dx[-1], dy[-1]) * step)
    band_px = (rho[1] - rho[0]) * (a + b) / 2
    cols = int(np.clip(length * rows / max(band_px, 1.0), 16, 4000))
    tu = np.interp(np.linspace(0, along[-1], cols), along, t)  # parameters evenly spaced along the arc
    rr = np.linspace(rho[1], rho[0], rows)[:, None]  # top row: the rim
    ex, ey = a * rr * np.cos(tu)[None, :], b * rr * np.sin(tu)[None, :]
    mx = (cx + ex * ca - ey * sa).astype(np.float32)
    my = (cy + ex * sa + ey * ca).astype(np.float32)
    strip = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return strip, band_px


def ring_band(ink: np.ndarray, seal: Seal) -> tuple[float, float]:
    """The text band, as fractions of the semi-axes: inside the border line, down to the first
    clear gap below the lettering (found from the radial ink profile)."""
    rhos = np.linspace(1.08, 0.3, 79)
    radial, _ = _unwrap(ink, seal, (0.3, 1.08), 79)  # row i: rho = rhos[i]
    dark = (255 - radial.astype(np.float32)).mean(axis=1)
    outer = (rhos >= 0.8) & (rhos <= 1.06)
    peak = int(np.argmax(np.where(outer, dark, -1)))
    level = dark[peak]
    i = peak
    while i + 1 < len(dark) and dark[i + 1] > 0.6 * level and rhos[i + 1] > 0.75:  # through the border line
        i += 1
    j = i
    while j + 1 < len(dark) and dark[j + 1] > 0.25 * level and rhos[j + 1] > 0.8:  # and its blurred edge
        j += 1
    if j - i <= 3:
        i = j
    if rhos[i] < 0.75:  # no border line found: the lettering starts at the rim
        i = int(np.argmin(np.abs(rhos - 0.97)))
    below = (rhos < rhos[i]) & (rhos > rhos[i] - 0.5)
    text_level = float(np.percentile(dark[below], 85)) if below.any() else 0.0
    start = i + 1
    while start < len(rhos) and dark[start] < 0.35 * text_level:
        start += 1
        if start < len(rhos) and dark[start] >= 0.35 * text_level:
            end = start
            while end + 1 < len(rhos) and dark[end + 1] >= 0.35 * text_level:
                end += 1
            if end - start <= 4 and end + 1 < len(rhos) and dark[end + 1] < 0.1 * text_level:
                start = end + 1  # a thin inner ring line, not letters: go on past it
    start = min(start, len(rhos) - 1)
    top = float(rhos[start])
    bottom = max(0.3, top - 0.4)
    for j in range(start + 1, len(rhos)):
        if rhos[j] < top - 0.12 and dark[j] < 0.3 * text_level:
            bottom = float(rhos[j])
            break
    else:  # no empty ring below the letters: cut at the clearest valley (an inner ring of text follows)
        window = np.flatnonzero((rhos < top - 0.14) & (rhos > top - 0.4))
        if window.size:
            j = int(window[np.argmin(dark[window])])
            if dark[j] < 0.6 * text_level:
                bottom = float(rhos[j])
    return max(0.3, bottom - 0.02), min(1.0, top + 0.03)


def unwrap_ring(image: np.ndarray, seal: Seal) -> Ring:
    (cx, cy), (a, b) = seal.on_page()
    r = max(a, b) * 1.1
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(max(0, cx - r)), int(max(0, cy - r)), int(min(w, cx + r + 1)), int(min(h, cy + r + 1))
    local = Seal((cx - x0, cy - y0), (a, b), seal.angle, seal.red, 1.0, seal.coverage)
    ink = ink_image(image[y0:y1, x0:x1], seal.red)
    band = ring_band(ink, local)
    strip, band_px = _unwrap(ink, local, band, STRIP_HEIGHT)
    return Ring(strip, band_px, _arcs(strip))


def _arcs(strip: np.ndarray) -> tuple[tuple[int, int], ...]:
    """(start column, width) of each run of lettering, split at gaps, longest first.

    A column counts as lettering when its ink spans a good part of the band's height: the small
    serial number along a seal's bottom rim (upside down in the strip) counts as a gap.
    """
    h, w = strip.shape
    ink = strip < 150
    frac = ink.mean(axis=0)
    rows = np.arange(h)[:, None]
    first = np.where(ink.any(axis=0), np.argmax(ink, axis=0), h)
    last = np.where(ink.any(axis=0), h - 1 - np.argmax(ink[::-1], axis=0), -1)
    extent = np.clip(last - first + 1, 0, h) / h
    del rows
    k = max(3, h // 2)

    def smooth(v: np.ndarray) -> np.ndarray:
        return np.convolve(np.concatenate([v[-k:], v, v[:k]]), np.ones(k) / k, "same")[k:-k]

    frac_s, ext_s = smooth(frac), smooth(extent * (frac > 0.02))
    tall = float(np.percentile(ext_s, 90)) if ext_s.size else 0.0
    letters = (frac_s > 0.03) & (ext_s > 0.5 * tall)
    if letters.all() or not letters.any():
        return ((0, w),) if letters.any() else ()
    start = int(np.argmin(letters))  # a column with no lettering: walk the circle from there
    seq = np.roll(letters, -start)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], seq.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2] - 1, strict=True))  # lettered runs, inclusive
    gaps = [runs[i + 1][0] - runs[i][1] - 1 for i in range(len(runs) - 1)] + [w - runs[-1][1] - 1 + runs[0][0]]
    # the unit's name runs on with small gaps between letters; the empty stretch at the bottom (or
    # around the serial number) is the widest gap: split there, and at gaps nearly as wide
    split = max(0.6 * h, 0.45 * max(gaps))
    arcs, cur = [], list(runs[0])
    for i in range(1, len(runs)):
        if gaps[i - 1] >= split:
            arcs.append(tuple(cur))
            cur = list(runs[i])
        else:
            cur[1] = runs[i][1]
    arcs.append(tuple(cur))
    if len(arcs) > 1 and gaps[-1] < split:  # the last arc runs on into the first across the cut
        last = arcs.pop()
        arcs[0] = (last[0], arcs[0][1] + w)
    pad = h // 6
    out = [((start + a - pad) % w, b - a + 1 + 2 * pad) for a, b in arcs if b - a + 1 >= h // 2]

    def weight(arc: tuple[int, int]) -> float:
        """A unit's name runs over the top of the seal (the strip's middle); the bottom holds a serial
        number or a line of small print. Seals are stamped tilted by up to ~30 degrees."""
        centre = ((arc[0] + arc[1] / 2) % w) / w * 360  # degrees from the bottom, clockwise
        off_top = abs(centre - 180)
        return arc[1] * (1.0 if off_top <= 70 else 0.6 if off_top <= 120 else 0.3)

    return tuple(sorted(out, key=lambda x: -weight(x)))


def _arc_image(ring: Ring, arc: tuple[int, int]) -> np.ndarray:
    start, n = arc
    strip = np.roll(ring.ink, -start, axis=1)[:, : min(n, ring.ink.shape[1])]
    pad = cv2.copyMakeBorder(strip, 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=255)
    return cv2.cvtColor(pad, cv2.COLOR_GRAY2BGR)


@dataclass(frozen=True)
class SealReading:
    text: str  # the unit's name, as read off the ring
    confidence: float
    letter_px: float  # height of the ring's letters, page pixels
    lines: tuple[tuple[str, float], ...] = ()  # every line read on the seal (ring, serial, middle lines)
    located: str = ""  # the best ring reading of the lines the seal text model located
    unwrapped: str = ""  # the reading of the whole ring unwrapped


def read_seal(image: np.ndarray, seal: Seal, ocr) -> tuple[str, float]:  # noqa: ANN001
    reading = read_ring(image, seal, ocr)
    return reading.text, reading.confidence


def read_ring(image: np.ndarray, seal: Seal, ocr, model=None) -> SealReading:  # noqa: ANN001
    """The seal's text, by two readers: the seal text model locates each line (each ring arc,
    unwrapped along the seal's ellipse; the serial number; the lines across the middle), and the
    whole ring is unwrapped and its longest lettered arcs read. The unit's name is the better of
    their ring readings (汉字 read times confidence); every line either gave is kept."""
    if model is None:
        model = _seal_text_model()
    lines = _located_lines(image, seal, ocr, model) if model is not None else []
    fallback = _read_longest_arc(image, seal, ocr)
    located = [(_trim_to_han(t), c, px) for t, c, px, ring in lines if ring and _han(t) >= 2]
    unwrapped = (_trim_to_han(fallback.text), fallback.confidence, fallback.letter_px)
    text, conf, px = max([*located, unwrapped], key=lambda x: _quality(x[0], x[1]))
    best_located = max(located, key=lambda x: _quality(x[0], x[1]))[0] if located else ""
    every = tuple((t, c) for t, c, _, _ in lines) + ((fallback.text, fallback.confidence),)
    return SealReading(text, conf, px, every, located=best_located, unwrapped=unwrapped[0])


def _seal_text_model():  # noqa: ANN202
    from pipeline.errors import EngineError
    from pipeline.seal_text import get_seal_text_model

    try:
        return get_seal_text_model()
    except EngineError:
        return None


def _read_longest_arc(image: np.ndarray, seal: Seal, ocr) -> SealReading:  # noqa: ANN001
    ring = unwrap_ring(image, seal)
    best = ("", 0.0)
    w = ring.ink.shape[1]
    over_the_top = (int(w * TOP_ARC_DEG[0] / 360), int(w * (TOP_ARC_DEG[1] - TOP_ARC_DEG[0]) / 360))
    for arc in (*ring.arcs[:2], over_the_top):
        img = _arc_image(ring, arc)
        for candidate in (img, cv2.rotate(img, cv2.ROTATE_180)):
            text, conf = ocr.read_line(candidate)
            if _quality(text, conf) > _quality(*best):
                best = (text, conf)
            if _han(best[0]) >= 4 and best[1] >= 0.85:
                return SealReading(best[0], best[1], ring.letter_px)
    return SealReading(best[0], best[1], ring.letter_px)


def _located_lines(image: np.ndarray, seal: Seal, ocr, model) -> list[tuple[str, float, float, bool]]:  # noqa: ANN001
    """(text, confidence, letter height px, on the ring) for each text region the model finds."""
    (cx, cy), (a, b) = seal.on_page()
    r = max(a, b) * 1.15
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(max(0, cx - r)), int(max(0, cy - r)), int(min(w, cx + r + 1)), int(min(h, cy + r + 1))
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return []
    local = Seal((cx - x0, cy - y0), (a, b), seal.angle, seal.red, 1.0, seal.coverage)
    ink = ink_image(crop, seal.red)
    out = []
    for group in _ring_groups(model.regions(crop), local):
        if group["ring"]:
            strip, band_px = _unwrap_region(ink, local, group)
            img = cv2.cvtColor(cv2.copyMakeBorder(strip, 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=255), cv2.COLOR_GRAY2BGR)
        else:
            img, band_px = _straight_crop(ink, group["points"])
            if img is None:
                continue
        text, conf = max((ocr.read_line(c) for c in (img, cv2.rotate(img, cv2.ROTATE_180))), key=lambda x: _quality(*x))
        if text:
            out.append((text, conf, band_px, group["ring"]))
    return out


def _ring_groups(polygons: list[np.ndarray], seal: Seal) -> list[dict]:
    """Text regions in the seal's own coordinates: arcs along the ring (fragments of one arc joined)
    and straight lines across the middle."""
    (cx, cy), (a, b) = seal.on_page()
    ca, sa = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    items = []
    for poly in polygons:
        dx, dy = poly[:, 0] - cx, poly[:, 1] - cy
        u, v = (dx * ca + dy * sa) / max(a, 1), (-dx * sa + dy * ca) / max(b, 1)
        rho = np.hypot(u, v)
        t = np.mod(np.arctan2(v, u) - np.pi / 2, 2 * np.pi)  # clockwise from the bottom
        (_, _), (rw, rh), _ = cv2.minAreaRect(poly.astype(np.float32))
        fill = cv2.contourArea(poly.astype(np.float32)) / max(rw * rh, 1.0)
        elongated = max(rw, rh) > 2.5 * min(rw, rh)
        if float(np.median(rho)) < 0.5 or float(rho.min()) < 0.25 or (elongated and fill > 0.72):
            items.append({"ring": False, "points": poly})  # a straight line: across the middle or the bottom
            continue
        s0, s1 = _circular_extent(t)
        t = np.where(t < s0, t + 2 * np.pi, t)  # unrolled: s0 <= t <= s1
        items.append({"ring": True, "span": (s0, s1), "rho": (float(np.percentile(rho, 5)), float(np.percentile(rho, 95))), "t": t, "r": rho})
    rings = sorted((i for i in items if i["ring"]), key=lambda i: i["span"][0])
    merged: list[dict] = []
    for it in rings:  # letters spaced wide apart come as separate regions: one arc if close in angle and radius
        if merged:
            last = merged[-1]
            gap = it["span"][0] - last["span"][1]
            thick, last_thick = it["rho"][1] - it["rho"][0], last["rho"][1] - last["rho"][0]
            similar = 0.65 < thick / max(last_thick, 1e-6) < 1.55  # a serial number's small print is not the name
            if gap < np.radians(35) and abs(np.mean(it["rho"]) - np.mean(last["rho"])) < 0.12 and similar:
                last["span"] = (last["span"][0], max(last["span"][1], it["span"][1]))
                last["rho"] = (min(last["rho"][0], it["rho"][0]), max(last["rho"][1], it["rho"][1]))
                last["t"] = np.concatenate([last["t"], it["t"]])
                last["r"] = np.concatenate([last["r"], it["r"]])
                continue
        merged.append(dict(it))
    for m in merged:
        pad = np.radians(4)
        m["arc"] = (np.pi / 2 + m["span"][0] - pad, np.pi / 2 + m["span"][1] + pad)
    return merged + [i for i in items if not i["ring"]]


def _unwrap_region(ink: np.ndarray, seal: Seal, group: dict) -> tuple[np.ndarray, float]:
    """A ring text region straightened: columns follow the arc, evenly in arc length; each column
    spans the region's own inner to outer edge there (so a seal a little off its fitted ellipse,
    or letters set deeper at one end, still come out whole)."""
    (cx, cy), (a, b) = seal.on_page()
    ca, sa = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    t_pts, r_pts = group["t"], group["r"]
    s0, s1 = group["span"]
    pad = np.radians(3)
    s0, s1 = s0 - pad, s1 + pad
    edges = np.linspace(s0, s1, max(8, int(np.degrees(s1 - s0) / 3)) + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    lo = np.full(mids.shape, np.nan)
    hi = np.full(mids.shape, np.nan)
    for i in range(len(mids)):
        sel = (t_pts >= edges[i] - pad) & (t_pts <= edges[i + 1] + pad)
        if sel.any():
            lo[i], hi[i] = r_pts[sel].min(), r_pts[sel].max()
    ok = ~np.isnan(lo)
    if ok.sum() < 2:
        lo[:], hi[:] = group["rho"]
    else:
        lo, hi = np.interp(mids, mids[ok], lo[ok]), np.interp(mids, mids[ok], hi[ok])
    k = np.ones(3) / 3
    lo = np.convolve(np.pad(lo, 1, mode="edge"), k, "valid") - 0.02
    hi = np.convolve(np.pad(hi, 1, mode="edge"), k, "valid") + 0.02
    t = np.linspace(s0, s1, 720) + np.pi / 2
    mid = (np.interp(t - np.pi / 2, mids, lo) + np.interp(t - np.pi / 2, mids, hi)) / 2
    dx, dy = -a * mid * np.sin(t), b * mid * np.cos(t)
    step = (t[-1] - t[0]) / 719
    along = np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy))[:-1]]) * step
    band_px = float(np.median(hi - lo)) * (a + b) / 2
    cols = int(np.clip(along[-1] * STRIP_HEIGHT / max(band_px, 1.0), 16, 4000))
    tu = np.interp(np.linspace(0, along[-1], cols), along, t)
    lo_u, hi_u = np.interp(tu - np.pi / 2, mids, lo), np.interp(tu - np.pi / 2, mids, hi)
    frac = np.linspace(0, 1, STRIP_HEIGHT)[:, None]
    rr = hi_u[None, :] - frac * (hi_u - lo_u)[None, :]  # top row: the outer edge
    ex, ey = a * rr * np.cos(tu)[None, :], b * rr * np.sin(tu)[None, :]
    mx = (cx + ex * ca - ey * sa).astype(np.float32)
    my = (cy + ex * sa + ey * ca).astype(np.float32)
    strip = cv2.remap(ink, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return strip, band_px


def _circular_extent(t: np.ndarray) -> tuple[float, float]:
    """(start, end) of the shortest arc holding every angle (radians, 0..2pi; end may pass 2pi)."""
    s = np.sort(t)
    gaps = np.diff(np.concatenate([s, [s[0] + 2 * np.pi]]))
    k = int(np.argmax(gaps))
    start = float(s[(k + 1) % len(s)])
    end = float(s[k]) if k + 1 < len(s) else float(s[k])
    if end < start:
        end += 2 * np.pi
    return start, end


def _straight_crop(ink: np.ndarray, points: np.ndarray) -> tuple[np.ndarray | None, float]:
    """A straight text region cut out upright (its long side horizontal)."""
    (rx, ry), (rw, rh), angle = cv2.minAreaRect(points.astype(np.float32))
    if rw < rh:
        rw, rh, angle = rh, rw, angle + 90
    if rw < 8 or rh < 4:
        return None, 0.0
    m = cv2.getRotationMatrix2D((rx, ry), angle, 1.0)
    m[:, 2] += (rw / 2 - rx, rh / 2 - ry)
    out = cv2.warpAffine(ink, m, (int(rw), int(rh)), flags=cv2.INTER_LINEAR, borderValue=255)
    f = STRIP_HEIGHT / max(out.shape[0], 1)
    out = cv2.resize(out, (max(8, int(out.shape[1] * f)), STRIP_HEIGHT), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
    out = cv2.copyMakeBorder(out, 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=255)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), float(rh)


def _trim_to_han(text: str) -> str:
    """Ring text without stray digits or letters at its ends (a serial number read along with it)."""
    return re.sub(r"^[^\u4e00-\u9fff（(]+|[^\u4e00-\u9fff）)]+$", "", text)


def _han(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _quality(text: str, conf: float) -> float:
    return _han(text) * conf


# ---------------------------------------------------------------- personal name seals

SQUARE_MIN_PX = 40  # a smaller square (at the seal search's work size) holds no legible name (2 cm at 200 DPI is ~94)
SQUARE_MAX_SHARE = 0.3  # ... nor is a square wider than this share of the page's short side a seal
SQUARE_SIDE_INK = 0.85  # share of each side of the frame carrying red ink: a round seal's box has empty corners
SQUARE_INNER = 0.12  # the frame's width, as a share of the side, trimmed before the characters are cut out
# Orders a 2 x 2 seal's characters are read in: rows right to left (李国/庆印 -> 李国庆印), columns right to left
# (top to bottom), and both left to right. Cells: 0 top left, 1 top right, 2 bottom left, 3 bottom right.
SQUARE_ORDERS = ((1, 0, 3, 2), (1, 3, 0, 2), (0, 1, 2, 3), (0, 2, 1, 3))


def square_seals(image: np.ndarray, cfg: SealConfig) -> list[tuple[int, int, int, int]]:
    """Square red seals (a person's 名章: 李国庆印) as (x0, y0, x1, y1) page pixels."""
    return find_marks(image, cfg)[1]


def _squares(mask: np.ndarray, s: float) -> list[tuple[int, int, int, int]]:
    """Red frames (in ``mask``, a page's red at scale ``s``) whose four sides carry ink along nearly
    their whole length, with red lettering inside, as page pixels."""
    if cv2.countNonZero(mask) < SQUARE_MIN_PX * 4:
        return []
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        x, y, bw, bh = cv2.boundingRect(c)
        if min(bw, bh) < SQUARE_MIN_PX or max(bw, bh) > SQUARE_MAX_SHARE * min(mask.shape[:2]) or not 0.75 <= bw / bh <= 1.33:
            continue
        box = mask[y : y + bh, x : x + bw] > 0
        t = max(2, int(0.1 * min(bw, bh)))
        sides = (box[:t].any(axis=0), box[-t:].any(axis=0), box[:, :t].any(axis=1), box[:, -t:].any(axis=1))
        inner = box[t:-t, t:-t]
        if min(float(v.mean()) for v in sides) < SQUARE_SIDE_INK or inner.size == 0 or not 0.05 <= float(inner.mean()) <= 0.6:
            continue
        out.append((int(x / s), int(y / s), int(np.ceil((x + bw) / s)), int(np.ceil((y + bh) / s))))
    return out


def read_square(image: np.ndarray, box: tuple[int, int, int, int], ocr) -> list[tuple[str, float]]:  # noqa: ANN001
    """A square seal's four characters, read in each of ``SQUARE_ORDERS``: (text, confidence)."""
    x0, y0, x1, y1 = box
    m = int(SQUARE_INNER * min(x1 - x0, y1 - y0))
    ink = ink_image(image[y0 + m : y1 - m, x0 + m : x1 - m], True)
    hh, ww = ink.shape[:2]
    if hh < 8 or ww < 8:
        return []
    cells = [ink[r * hh // 2 : (r + 1) * hh // 2, c * ww // 2 : (c + 1) * ww // 2] for r in (0, 1) for c in (0, 1)]
    cells = [cv2.resize(c, (STRIP_HEIGHT, STRIP_HEIGHT), interpolation=cv2.INTER_AREA if c.shape[0] > STRIP_HEIGHT else cv2.INTER_CUBIC) for c in cells]
    out = []
    for order in SQUARE_ORDERS:
        line = cv2.copyMakeBorder(np.hstack([cells[i] for i in order]), 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=255)
        out.append(ocr.read_line(cv2.cvtColor(line, cv2.COLOR_GRAY2BGR)))
    return out


# ---------------------------------------------------------------- judging


_ORG_SUFFIX = re.compile(r"(公司|局|委员会|委|学校|中学|小学|大学|学院|医院|院|中心|所|站|处|部|办公室|办|会|厂|馆|社|队|章)$")


def readable(reading: SealReading, cfg: SealConfig) -> bool:
    """The reading names a body: enough 汉字, read with confidence."""
    return _han(reading.text) >= cfg.min_text_chars and reading.confidence >= cfg.min_text_confidence


def names_employer(text: str, employer: str, cfg: SealConfig) -> bool:
    """The seal text names the employer by the distinctive part of its name (乌鲁木齐市第十中学 by
    第十中学), never by a shared administrative prefix (乌鲁木齐市…局 is not 乌鲁木齐市第十中学)."""
    t = normalize(text)
    key = distinctive_part(employer)
    if len(key) < 2:
        return False
    # a ring has no first character: its reading may start anywhere along it
    turns = [t[k:] + t[:k] for k in range(max(1, len(t)))]
    if any(find(key, r) for r in turns):
        return True
    # a company is told apart by its trade name, not by the 有限公司 thousands of names end in
    core = LEGAL_FORM.sub("", key)
    key = core if len(core) >= 4 else key
    if len(key) >= 3 and max(in_order_share(key, r) for r in turns) >= cfg.employer_similarity:
        return True
    # a ring read in part: a run of the name's own characters, long for its name and not a stock word
    run = max(_common_run(key, r) for r in turns)
    return len(run) >= max(cfg.employer_run_chars, cfg.employer_run_share * len(key)) and len(_STOCK_WORDS.sub("", run)) >= cfg.employer_run_chars - 1


_STOCK_WORDS = re.compile(
    "有限责任|有限|公司|股份|集团|科技|信息|服务|技术|管理|发展|建设|工程|贸易|人民|医院|卫生|学校|中学|小学|大学|学院|中心|委员会|研究|总局|税务"
)
"""Words thousands of bodies' names share: a run made of them names no one."""


def _common_run(a: str, b: str) -> str:
    """The longest run of characters found in a row in both."""
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


def in_order_share(target: str, text: str) -> float:
    """Longest common subsequence of target in text, as a share of the target."""
    if not target:
        return 0.0
    prev = [0] * (len(text) + 1)
    for ch in target:
        cur = [0]
        for j, c in enumerate(text, 1):
            cur.append(prev[j - 1] + 1 if ch == c else max(prev[j], cur[-1]))
        prev = cur
    return prev[-1] / len(target)


def why_unreadable(image: np.ndarray, seal: Seal, reading: SealReading, cfg: SealConfig) -> str | None:
    """What about the seal itself makes its text unreadable, or None when it looks legible."""
    (cx, cy), (a, b) = seal.on_page()
    r = max(a, b)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(max(0, cx - r)), int(max(0, cy - r)), int(min(w, cx + r + 1)), int(min(h, cy + r + 1))
    region = image[y0:y1, x0:x1]
    if region.size == 0:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1]
    inside = ((xx - cx) / max(a, 1)) ** 2 + ((yy - cy) / max(b, 1)) ** 2 <= 1.0
    if seal.coverage < cfg.broken_ring and _opaque_patch(region, inside):
        return "部分被遮盖"
    if reading.letter_px < cfg.min_letter_px:
        return "印章过小，文字无法分辨"
    if seal.red:
        red = redness(region)[inside]
        if red.size < 30 or float(np.percentile(red, 90)) < cfg.faint_dominance:
            return "印迹过淡"
    else:
        gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)[inside].astype(np.float32)
        if float(np.percentile(gray, 90) - np.percentile(gray, 3)) < cfg.faint_contrast:
            return "印迹过淡"
    if _edge_steepness(region, seal.red) < cfg.blurred_edge:
        return "印迹模糊"
    return None


def _opaque_patch(region: np.ndarray, inside: np.ndarray) -> bool:
    """A near-uniform block (the masking tool's box) covering part of the seal."""
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY).astype(np.float32)
    k = max(5, min(region.shape[:2]) // 10) | 1
    mean = cv2.blur(gray, (k, k))
    var = cv2.blur(gray * gray, (k, k)) - mean * mean
    flat = (var < 20) & ((mean < 100) | (mean > 250))
    dark_flat = (var < 20) & (mean < 100)
    return float(dark_flat[inside].mean()) > 0.08 or (float(flat[inside].mean()) > 0.5 and float(dark_flat[inside].mean()) > 0.02)


def _edge_steepness(region: np.ndarray, red: bool) -> float:
    """Gradient across the ink's edges relative to its contrast (~0.4 for sharp ink, < 0.15 smeared)."""
    ink = ink_image(region, red).astype(np.float32)
    gx = cv2.Sobel(ink, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(ink, cv2.CV_32F, 0, 1, ksize=3) / 8
    grad = cv2.magnitude(gx, gy)
    k = np.ones((7, 7), np.uint8)
    local = cv2.dilate(ink, k) - cv2.erode(ink, k)
    edges = local > 40
    if int(edges.sum()) < 50:
        return 0.0
    return float(np.percentile(grad[edges] / local[edges], 90))


def detect(page: Page, ctx: PageContext) -> list[Finding]:
    if not ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("seals", SealConfig)
    out = []
    found, squares = find_marks(page.image, cfg)
    text_px = _text_height(page)
    for seal in found:
        if text_px is not None and 2 * min(seal.on_page()[1]) < cfg.min_seal_to_text * text_px:
            continue  # a ring no larger than the page's letters is a letter (a red 0 or 9), not a seal
        reading = read_ring(page.image, seal, ctx.ocr) if ctx.ocr is not None else SealReading("", 0.0, 0.0)
        legible = readable(reading, cfg)
        employer = any(
            names_employer(text, ctx.manifest.applicant.employer, cfg) and (legible or _han(text) >= 3)
            for text in (reading.text, *(t for t, _ in reading.lines))
        )
        reason = None if legible or employer else why_unreadable(page.image, seal, reading, cfg)
        if employer:
            why = f"单位公章未遮盖（印文“{reading.text}”）"
        elif reason and page.slot in EMPLOYER_ISSUED:
            why = f"单位出具材料上的公章未遮盖（印文无法辨认：{reason}）"
        else:
            continue  # another body's seal (a school's on a diploma), or one read as nobody's
        out.append(
            page.finding(
                FindingCode.UNMASKED_SEAL,
                why + "，请使用遮盖工具遮盖后重新上传",
                bbox=seal.bbox(page.image.shape),
                evidence={
                    "text": reading.text,
                    "ocr_confidence": round(reading.confidence, 3),
                    "red": seal.red,
                    "ring_coverage": round(seal.coverage, 2),
                    **({"unreadable": reason} if reason else {}),
                    "score": 0.95 if employer else 0.7,
                },
            )
        )
    return out + _name_seals(page, ctx, squares)


def _text_height(page: Page) -> float | None:
    """The median height (page pixels) of the page's text lines, a vertical line's by its width; None
    with fewer than three read."""
    h, w = page.image.shape[:2]
    heights = [min((ln.bbox[3] - ln.bbox[1]) * h, (ln.bbox[2] - ln.bbox[0]) * w) for ln in page.lines if ln.text]
    return float(np.median(heights)) if len(heights) >= 3 else None


def _name_seals(page: Page, ctx: PageContext, squares: list[tuple[int, int, int, int]]) -> list[Finding]:
    """A square seal bearing the applicant's name (李国庆印): the name is visible, though OCR reads
    no line of it (seal script, in a 2 x 2 grid)."""
    if ctx.ocr is None:
        return []
    name = name_variants(ctx.manifest.applicant.name)[0].pattern
    out = []
    for box in squares:
        bbox = relative(box, page.image.shape)
        if any(name in normalize(line.text) and iou(line.bbox, bbox) > 0 for line in page.lines):
            continue  # the name was read as text there: the name check reports it
        readings = read_square(page.image, box, ctx.ocr)
        text, conf = max(((t, c) for t, c in readings if name in normalize(t)), key=lambda r: r[1], default=("", 0.0))
        if text:
            out.append(
                page.finding(
                    FindingCode.UNMASKED_NAME,
                    f"本人姓名章未遮盖（印文“{text}”），请使用遮盖工具遮盖后重新上传",
                    bbox=bbox,
                    evidence={"text": text, "ocr_confidence": round(conf, 3), "seal": "square", "score": 0.9},
                )
            )
    return out
