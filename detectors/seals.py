"""``UNMASKED_SEAL``: a seal still visible, whose text names the employer, or any unreadable seal on
a material the employer issues.

Seals are found two ways and merged:
- red ink: two red hue ranges plus "red dominance" (red well above green and blue), so faint or
  half-transparent ink over black text still counts; blobs that fill an ellipse's ring are seals;
- shape, for grey-scale scans where the colour is gone: Hough circles accepted only when a
  continuous ring of ink is found along the circle and there is ink (star, text) inside.
A seal under an opaque mask box leaves no ring, so it is not found: masked seals raise nothing.
The curved text is read by unwrapping the ring band to a strip (``cv2.warpPolar``) and OCR.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.names import find, variants_of_employer
from pipeline.extract import normalize
from pipeline.manifest import Slot
from pipeline.models import BBox, Finding, FindingCode, Page
from pipeline.context import PageContext

EMPLOYER_ISSUED = frozenset(
    {Slot.unit_publicity, Slot.publicity_result, Slot.recommendation_report, Slot.annual_appraisal, Slot.supervisor_opinion}
)


class SealConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    work_side_px: int = Field(1400, description="long side the page is searched for red ink at")
    grey_side_px: int = Field(800, description="long side a grey-scale page is searched for rings at")
    min_diameter: float = Field(0.05, description="seal diameter as a share of the page's short side (a 40 mm seal on A4 is ~0.19)")
    max_diameter: float = Field(0.40, description="larger round shapes are not seals")
    red_saturation: int = Field(40, description="HSV saturation (0-255) of faint red ink")
    red_dominance: int = Field(35, description="R minus max(G, B) for ink that reads as red")
    ring_coverage: float = Field(0.45, description="share of the ellipse outline carrying red ink: half a ring (a seal half masked) still counts")
    grey_ring_coverage: float = Field(0.8, description="the same for colourless seals, where circles are cheap")
    min_text_chars: int = Field(3, description="fewer characters read from the ring: the seal's text is unreadable")
    min_text_confidence: float = Field(0.7, description="a ring read with less confidence is unreadable, not another body's name")
    employer_similarity: float = Field(0.6, description="share of the employer's characters found in order in the seal text")


@dataclass(frozen=True)
class Seal:
    center: tuple[float, float]  # pixels of the working image
    axes: tuple[float, float]  # semi-axes
    angle: float
    red: bool
    scale: float  # working pixels per page pixel

    def bbox(self, shape: tuple[int, ...]) -> BBox:
        h, w = shape[:2]
        r = max(self.axes) / self.scale
        cx, cy = self.center[0] / self.scale, self.center[1] / self.scale
        return (max(0.0, (cx - r) / w), max(0.0, (cy - r) / h), min(1.0, (cx + r) / w), min(1.0, (cy + r) / h))


def find_seals(image: np.ndarray, cfg: SealConfig) -> list[Seal]:
    h, w = image.shape[:2]
    s = min(1.0, cfg.work_side_px / max(h, w))
    img = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    short = min(img.shape[:2])
    dmin, dmax = cfg.min_diameter * short, cfg.max_diameter * short
    seals = _red_seals(img, cfg, dmin, dmax, s)
    if not seals and is_grey(img):  # colour is gone: look for the ring's shape instead
        g = min(1.0, cfg.grey_side_px / max(img.shape[:2]))
        small = img if g == 1.0 else cv2.resize(img, (round(img.shape[1] * g), round(img.shape[0] * g)), interpolation=cv2.INTER_AREA)
        seals = _grey_seals(small, cfg, dmin * g, dmax * g, s * g)
    return seals


def is_grey(img: np.ndarray) -> bool:
    """A grey-scale scan (or one whose colour was lost): the channels agree almost everywhere."""
    b, g, r = (img[::4, ::4, i].astype(np.int16) for i in range(3))
    spread = np.abs(r - g) + np.abs(g - b)
    return float(np.percentile(spread, 99.5)) < 24


def red_mask(img: np.ndarray, cfg: SealConfig) -> np.ndarray:
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    reddish = ((hue <= 12) | (hue >= 165)) & (sat >= cfg.red_saturation) & (val >= 50)
    b, g, r = (img[:, :, i].astype(np.int16) for i in range(3))
    dominant = (r - np.maximum(g, b)) >= cfg.red_dominance
    return ((reddish & dominant) * 255).astype(np.uint8)


def _red_seals(img: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float) -> list[Seal]:
    mask = red_mask(img, cfg)
    k = max(3, int(dmin / 12)) | 1
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        if len(c) < 20:
            continue
        x, y, bw, bh = cv2.boundingRect(c)
        if not (dmin <= max(bw, bh) <= dmax) or min(bw, bh) < 0.45 * max(bw, bh):
            continue
        (cx, cy), (a1, a2), angle = cv2.fitEllipse(c)
        if not (dmin <= max(a1, a2) <= dmax * 1.2) or min(a1, a2) < 0.45 * max(a1, a2):
            continue  # a degenerate fit, not the blob's outline
        if _ring_coverage(mask, (cx, cy), (a1 / 2, a2 / 2), angle) >= cfg.ring_coverage:
            out.append(Seal((cx, cy), (a1 / 2, a2 / 2), angle, True, s))
    return out


def _grey_seals(img: np.ndarray, cfg: SealConfig, dmin: float, dmax: float, s: float) -> list[Seal]:
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    ink = (gray < min(200, float(np.percentile(gray, 90)) - 40)).astype(np.uint8) * 255
    circles = cv2.HoughCircles(
        cv2.medianBlur(gray, 5), cv2.HOUGH_GRADIENT, dp=1.5, minDist=dmin, param1=120, param2=45, minRadius=int(dmin / 2), maxRadius=int(dmax / 2)
    )
    out = []
    for cx, cy, r in ([] if circles is None else circles[0]):
        # a seal's ring is a line with paper outside it; text or a table covers every radius alike
        if _ring_coverage(ink, (cx, cy), (r, r), 0, thin=True) < cfg.grey_ring_coverage:
            continue
        if _ring_coverage(ink, (cx, cy), (r * 1.15, r * 1.15), 0, thin=True) > 0.5:
            continue
        inner = np.zeros_like(ink)
        cv2.circle(inner, (int(cx), int(cy)), int(r * 0.75), 255, -1)
        inside = float((ink[inner > 0] > 0).mean()) if inner.any() else 0.0
        if 0.02 < inside < 0.5:  # a star and lettering, not an empty circle or a solid blot
            out.append(Seal((float(cx), float(cy)), (float(r), float(r)), 0.0, False, s))
    return out


def _ring_coverage(
    mask: np.ndarray, center: tuple[float, float], axes: tuple[float, float], angle: float, thin: bool = False
) -> float:
    """Share of points along the ellipse with ink within a few pixels of the outline."""
    band = 1 if thin else max(2, int(0.06 * max(axes)))
    near = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    t = np.linspace(0, 2 * np.pi, 180, endpoint=False)[:, None]
    k = np.array([-band, 0, band], np.float32)[None, :]
    a, b = axes[0] + k, axes[1] + k
    ca, sa = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x = np.rint(center[0] + a * np.cos(t) * ca - b * np.sin(t) * sa).astype(int)
    y = np.rint(center[1] + a * np.cos(t) * sa + b * np.sin(t) * ca).astype(int)
    h, w = mask.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    hit = np.zeros(x.shape, bool)
    hit[inside] = near[y[inside], x[inside]] > 0
    return float(hit.any(axis=1).mean())


def unwrap(image: np.ndarray, seal: Seal, height: int = 48) -> np.ndarray:
    """The ring's text band as a horizontal strip, reading left to right, upright.

    An oval seal is first stretched to a circle. Seal text runs clockwise from lower left over
    the top to lower right, letters upright toward the rim; the strip starts at the bottom so the
    text is not cut.
    """
    a, b = (ax / seal.scale for ax in seal.axes)
    cx, cy = seal.center[0] / seal.scale, seal.center[1] / seal.scale
    r = max(a, b)
    if abs(a - b) > 0.05 * r:  # rotate the ellipse's axes onto x/y, then stretch the short one
        rot = cv2.getRotationMatrix2D((cx, cy), seal.angle, 1.0)
        image = cv2.warpAffine(image, rot, (image.shape[1], image.shape[0]), borderValue=(255, 255, 255))
        sx, sy = r / a, r / b
        m = np.float32([[sx, 0, cx - sx * cx], [0, sy, cy - sy * cy]])
        image = cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), borderValue=(255, 255, 255))
    size = max(360, int(2 * np.pi * r))
    polar = cv2.warpPolar(image, (int(r * 1.05), size), (cx, cy), r * 1.05, cv2.WARP_POLAR_LINEAR)
    polar = np.roll(polar, -size // 4, axis=0)  # rows are angles from +x, clockwise: start at the bottom
    band = polar[:, int(polar.shape[1] * 0.55) : int(polar.shape[1] * 0.97)]
    strip = cv2.rotate(band, cv2.ROTATE_90_COUNTERCLOCKWISE)  # angle -> x, radius -> y (rim on top)
    f = height / strip.shape[0]
    strip = cv2.resize(strip, (max(1, int(strip.shape[1] * f)), height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(strip)


def read_seal(image: np.ndarray, seal: Seal, ocr) -> tuple[str, float]:  # noqa: ANN001
    """The seal's text and confidence (the better of the strip read both ways up)."""
    strip = unwrap(image, seal)
    if seal.red:  # black text under red ink confuses OCR: keep the red ink only
        strip = cv2.cvtColor(255 - red_mask(strip, SealConfig()), cv2.COLOR_GRAY2BGR)
    strip = _trim(strip)
    pad = cv2.copyMakeBorder(strip, 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    best = ocr.read_line(pad)
    if len(best[0]) >= 3 and best[1] >= 0.8:
        return best  # read upright: no need to try it the other way up
    flipped = ocr.read_line(cv2.rotate(pad, cv2.ROTATE_180))
    return flipped if len(flipped[0]) * flipped[1] > len(best[0]) * best[1] else best


def _trim(strip: np.ndarray) -> np.ndarray:
    """Cut the empty stretch of ring (where there is no lettering) off both ends."""
    ink = (cv2.cvtColor(strip, cv2.COLOR_BGR2GRAY) < 128).any(axis=0)
    cols = np.flatnonzero(ink)
    return strip if cols.size == 0 else strip[:, max(0, cols[0] - 4) : cols[-1] + 5]


def names_employer(text: str, employer: str, cfg: SealConfig) -> bool:
    t = normalize(text)
    if any(find(v, t) for v, _ in variants_of_employer(employer)):
        return True
    target = normalize(employer)
    return _in_order(target, t) >= cfg.employer_similarity


def _in_order(target: str, text: str) -> float:
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


def detect(page: Page, ctx: PageContext) -> list[Finding]:
    if not ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("seals", SealConfig)
    out = []
    for seal in find_seals(page.image, cfg):
        text, conf = read_seal(page.image, seal, ctx.ocr) if ctx.ocr is not None else ("", 0.0)
        readable = len(normalize(text)) >= cfg.min_text_chars and conf >= cfg.min_text_confidence
        employer = readable and names_employer(text, ctx.manifest.applicant.employer, cfg)
        if employer:
            why = f"单位公章未遮盖（印文“{text}”）"
        elif not readable and page.slot in EMPLOYER_ISSUED:
            why = "单位出具材料上的公章未遮盖（印文无法辨认）"
        else:
            continue  # another body's seal (a school's on a diploma): not the employer's
        out.append(
            page.finding(
                FindingCode.UNMASKED_SEAL,
                why + "，请使用遮盖工具遮盖后重新上传",
                bbox=seal.bbox(page.image.shape),
                evidence={"text": text, "ocr_confidence": round(conf, 3), "red": seal.red, "score": 0.95 if employer else 0.7},
            )
        )
    return out
