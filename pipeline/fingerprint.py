"""A page's perceptual fingerprint: what it looks like, in 255 bits, computed once from the upright
page when it is screened, so that the duplicate check compares pages without reading them again.

The page is reduced to grey at most 512 px on its long side, its blank paper margins are trimmed
(rows and columns with almost no ink relative to the page's own background, so a scan with more or
less margin, or shifted on the glass, gives the same content; a photograph has no such margins and
is kept whole), resized to 64 x 64, and the 16 x 16 lowest frequencies of its DCT but the constant
one are compared with their median (a pHash with more bits). Re-encoding, rescaling and a new scan
change few bits; the layout and any picture on the page decide the rest. Two pages of one template
differ in a few characters only and get nearly the same fingerprint: the duplicate rule tells them
apart by their text.
"""

from __future__ import annotations

import cv2
import numpy as np

BITS = 255
WORK_PX = 512
_DARK_DELTA = 40  # grey levels below the page's background that count as ink
_MARGIN_SHARE = 0.005  # ink share allowed outside the kept box (specks, a scanner's edge)
_MIN_INK = 0.0005  # fewer ink pixels than this share: a blank page, no fingerprint


def of(image: np.ndarray) -> str:
    """The fingerprint of an upright BGR or grey page as 64 hex digits; "" for a blank page."""
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if min(g.shape[:2]) < 8:
        return ""
    s = WORK_PX / max(g.shape[:2])
    if s < 1:
        g = cv2.resize(g, (max(1, round(g.shape[1] * s)), max(1, round(g.shape[0] * s))), interpolation=cv2.INTER_AREA)
    g = _trim_margins(g)
    if g is None:
        return ""
    small = cv2.resize(g, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:16, :16].flatten()[1:]
    bits = np.append(low > np.median(low), False)  # 256 bits, the last always 0
    return np.packbits(bits).tobytes().hex()


def distance(a: str, b: str) -> int | None:
    """Differing bits of two fingerprints (0..255); None when either page has none."""
    if not a or not b or len(a) != len(b):
        return None
    x = np.frombuffer(bytes.fromhex(a), np.uint8) ^ np.frombuffer(bytes.fromhex(b), np.uint8)
    return int(np.unpackbits(x).sum())


def _trim_margins(g: np.ndarray) -> np.ndarray | None:
    b = cv2.blur(g, (3, 3))
    dark = b < np.percentile(b, 95) - _DARK_DELTA
    total = int(dark.sum())
    if total < _MIN_INK * g.size:
        return None

    def span(profile: np.ndarray) -> tuple[int, int]:
        c = np.cumsum(profile) / total
        lo = int(np.searchsorted(c, _MARGIN_SHARE))
        hi = int(np.searchsorted(c, 1 - _MARGIN_SHARE))
        return lo, max(lo + 1, hi + 1)

    y0, y1 = span(dark.sum(axis=1))
    x0, x1 = span(dark.sum(axis=0))
    return g[y0:y1, x0:x1]
