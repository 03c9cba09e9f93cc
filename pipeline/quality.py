"""Image-quality measures of an upright page, independent of DPI, page size and text density.

Blur is measured where it matters for reading: the page is first rescaled so its text
lines are ``TEXT_HEIGHT_PX`` high (from the OCR boxes), then the width of its edges is
estimated from the gradient across each edge relative to the contrast around it. For a
Gaussian-blurred step of contrast C and width sigma the peak gradient is C/(sigma*sqrt(2*pi)),
so ``blur_px`` approximates sigma in "text-normalised" pixels: the same number for the same
legibility at 100 or 300 DPI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.models import BBox, TextLine

TEXT_HEIGHT_PX = 32.0  # OCR line-box height the page is normalised to before measuring blur
FALLBACK_LONG_SIDE_PX = 1600.0  # without readable text: an A4 page at ~137 DPI, body text ~32 px
_EDGE_WINDOW = 9
_MIN_EDGE_PIXELS = 100


def gray_of(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def text_height(lines: Sequence[TextLine], image_height: int, min_confidence: float = 0.7, image_width: int | None = None) -> float | None:
    """Median letter height in pixels of confidently read OCR lines (None when too few): a line's
    height, or a vertical line's width (a page written top to bottom)."""
    width = image_width or image_height
    heights = []
    for ln in lines:
        if ln.source != "ocr" or ln.confidence < min_confidence or len(ln.text) < 2:
            continue
        w, h = (ln.bbox[2] - ln.bbox[0]) * width, (ln.bbox[3] - ln.bbox[1]) * image_height
        heights.append(h if w > 0.5 * h else w)
    if len(heights) < 2:
        return None
    return float(np.median(heights))


def box_height(boxes: Sequence[tuple[float, float, float, float]], image_height: int) -> float | None:
    """Median height in pixels of text boxes the detector found, read or not (None when too few)."""
    heights = [(b[3] - b[1]) * image_height for b in boxes if (b[2] - b[0]) > 0.5 * (b[3] - b[1])]
    return float(np.median(heights)) if len(heights) >= 2 else None


def legible_fraction(lines: Sequence[TextLine], unread: Sequence[tuple[float, float, float, float]], min_confidence: float = 0.8) -> float:
    """Share of the text the detector found (by area) that the recogniser read with confidence: about
    1 on a clean page, falling as blur or low resolution leave text found but unreadable."""

    def area(b: tuple[float, float, float, float]) -> float:
        return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])

    ocr = [ln for ln in lines if ln.source == "ocr"]
    total = sum(area(ln.bbox) for ln in ocr) + sum(area(b) for b in unread)
    if total <= 0:
        return 1.0
    return sum(area(ln.bbox) for ln in ocr if ln.confidence >= min_confidence) / total


def unread_ink(gray: np.ndarray, lines: Sequence[TextLine], min_confidence: float = 0.7) -> float:
    """Share of the page's text-like ink (strokes in letter-sized clumps; rules, table lines and
    pictures left out) lying outside every line that was read with confidence: near 0 on a clean
    page, high when blur or small print left most of the text unread (only a large title read)."""
    h, w = gray.shape[:2]
    f = min(1.0, 1600 / max(h, w))
    g = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else gray
    ink = cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 12)
    long = max(40, g.shape[1] // 20)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, long), np.uint8)) | cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((long, 1), np.uint8))
    ink = cv2.subtract(ink, rules)
    clumps = cv2.dilate(ink, np.ones((5, 5), np.uint8))
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(clumps, connectivity=8)
    if n <= 1:
        return 0.0
    gh, gw = g.shape[:2]
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    letter_sized = (area >= 30) & (area <= 0.02 * gh * gw)
    if not letter_sized.any():
        return 0.0
    read = np.zeros((gh, gw), np.uint8)
    for ln in lines:
        if ln.text and ln.confidence >= min_confidence:
            x0, y0, x1, y1 = ln.bbox
            pad = 0.3 * (y1 - y0)
            read[max(0, int((y0 - pad) * gh)) : int((y1 + pad) * gh) + 1, max(0, int(x0 * gw) - 4) : int(x1 * gw) + 5] = 1
    cx, cy = centroids[1:, 0].astype(int).clip(0, gw - 1), centroids[1:, 1].astype(int).clip(0, gh - 1)
    inside = read[cy, cx] > 0
    return float(area[letter_sized & ~inside].sum() / area[letter_sized].sum())


def small_text_height(lines: Sequence[TextLine], image_height: int, min_confidence: float = 0.7) -> float | None:
    """Height of the smaller body text (25th percentile of line heights), in working pixels."""
    heights = [
        (ln.bbox[3] - ln.bbox[1]) * image_height
        for ln in lines
        if ln.source == "ocr" and ln.confidence >= min_confidence and len(ln.text) >= 2
    ]
    if len(heights) < 2:
        return None
    return float(np.percentile(heights, 25))


def blur_px(gray: np.ndarray, line_height: float | None) -> float:
    """Estimated edge blur (Gaussian sigma) after normalising text to ``TEXT_HEIGHT_PX``; inf if no edges."""
    h, w = gray.shape[:2]
    f = TEXT_HEIGHT_PX / line_height if line_height else FALLBACK_LONG_SIDE_PX / max(h, w)
    f = min(max(f, 0.05), 4.0)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    g = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=interp).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8
    grad = cv2.magnitude(gx, gy)
    kernel = np.ones((_EDGE_WINDOW, _EDGE_WINDOW), np.uint8)
    local_range = cv2.dilate(g, kernel) - cv2.erode(g, kernel)
    edges = (local_range > 40) & (grad > 0.1 * local_range)
    if int(edges.sum()) < _MIN_EDGE_PIXELS:
        return math.inf
    ratio = float(np.percentile(grad[edges] / local_range[edges], 90))
    return 1.0 / (ratio * math.sqrt(2 * math.pi))


def exposure(gray: np.ndarray, text_boxes: Sequence[BBox] = ()) -> dict[str, float]:
    """Paper and ink levels, contrast, and the share of the page lost to a glare hot spot, measured
    over the page's text (``text_boxes``, page fractions: the lines found, read or not; the whole
    page without any). The white bands of a photo placed on a page, or a bright empty margin, are
    neither its paper nor glare: they hide nothing."""
    small = cv2.resize(gray, (0, 0), fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) if max(gray.shape) > 1200 else gray
    smooth = cv2.GaussianBlur(small, (3, 3), 0)
    y0, y1, x0, x1 = _text_area(smooth.shape, text_boxes)
    text = smooth[y0:y1, x0:x1]
    paper = float(np.percentile(text, 90))
    ink = _ink_level(text, paper)
    area = np.zeros(smooth.shape, bool)
    area[y0:y1, x0:x1] = True
    glare = _glare_fraction(smooth, area)
    return {
        "paper_level": paper,
        "ink_level": ink,
        "contrast": paper - ink,
        "spread": float(text.std()),
        "structure": structure(gray),
        "glare_fraction": glare,
    }


TEXT_AREA_MARGIN = 0.03
"""How far (a share of the page's side) around its outermost text lines the page is measured: a hot
spot that washed out the edge of the text leaves its neighbours' boxes beside it."""


def _text_area(shape: tuple[int, ...], boxes: Sequence[BBox]) -> tuple[int, int, int, int]:
    """Rows and columns (y0, y1, x0, x1) of the part of the page its text spans: the box around
    every line, widened by the margin; the whole page when no text was found."""
    h, w = shape[:2]
    if not boxes:
        return 0, h, 0, w
    m = TEXT_AREA_MARGIN
    x0, y0 = max(0.0, min(b[0] for b in boxes) - m), max(0.0, min(b[1] for b in boxes) - m)
    x1, y1 = min(1.0, max(b[2] for b in boxes) + m), min(1.0, max(b[3] for b in boxes) + m)
    top, bottom, left, right = int(y0 * h), int(np.ceil(y1 * h)), int(x0 * w), int(np.ceil(x1 * w))
    if bottom - top < 8 or right - left < 8:
        return 0, h, 0, w
    return top, bottom, left, right


def _ink_level(gray: np.ndarray, paper: float) -> float:
    """Grey level of the marks on the page: the darker part of what is darker than the paper.

    Taken among the page's own dark pixels, so it does not depend on how much text there is.
    """
    dark = gray[gray < paper - 20]
    if dark.size < 0.001 * gray.size:
        return float(np.percentile(gray, 0.1))
    return float(np.percentile(dark, 5))


def structure(gray: np.ndarray) -> float:
    """Largest local grey-level change once noise is smoothed away: ~0-10 on a blank sheet
    (uneven light changes slowly), tens or more wherever there is text, even heavily blurred."""
    h, w = gray.shape[:2]
    f = min(1.0, 1000 / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (0, 0), 2.0)
    kernel = np.ones((15, 15), np.uint8)
    local = cv2.dilate(smooth, kernel).astype(np.int16) - cv2.erode(smooth, kernel).astype(np.int16)
    return float(np.percentile(local, 99.5))


def _glare_fraction(gray: np.ndarray, text_area: np.ndarray) -> float:
    """The share of the page lost to the largest saturated blob markedly brighter than the paper
    around it (a hot spot, not the paper). A blob that reaches the picture's edge (the white bands
    of a photo placed on a page, a bright margin) counts only where it lies over the text; one inside
    the picture counts whole, for the lines it washed out are no longer found around it."""
    sat = (gray >= 250).astype(np.uint8)
    if sat.mean() < 0.005 or float(np.median(gray)) >= 235:
        return 0.0  # a white scan: saturation is the paper itself, not a hot spot on it
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sat, connectivity=8)
    if n <= 1:
        return 0.0
    h, w = gray.shape[:2]
    x, y, bw, bh, area = (stats[1:, i] for i in range(5))
    at_edge = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    over_text = np.bincount(labels[text_area], minlength=n)[1:]
    counted = np.where(at_edge, over_text, area)
    k = 1 + int(np.argmax(counted))
    blob = labels == k
    if blob.mean() > 0.5:  # that is the paper itself, not a hot spot on it
        return 0.0
    ring = cv2.dilate(blob.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) & ~blob
    outside = gray[~cv2.dilate(blob.astype(np.uint8), np.ones((61, 61), np.uint8)).astype(bool)]
    around = float(np.median(outside)) if outside.size else 255.0
    # A white scan is saturated everywhere: glare only where the rest of the paper is clearly greyer.
    if around > 225 or not ring.any():
        return 0.0
    return float(counted[k - 1]) / gray.size
