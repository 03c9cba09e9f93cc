"""Seals engraved in the many ways real ones are: fonts, ring text spans, double rings, serial
numbers along the bottom rim, a line of text across the middle, ovals, tilted impressions, uneven
ink, faint or over-inked, grey photocopies. Deterministic for a given seed.

The project's own ``samples.draw_seal`` draws one kind of seal; evaluations and tests use these to
see that what holds on one engraving holds on others.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from samples.generate import _font_bytes

FONT_FILES = {  # Debian packages: fonts-noto-cjk, fonts-arphic-uming/ukai, fonts-wqy-zenhei/microhei
    "song": (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),  # the SC face of the collection
    "song-bold": (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"), 2),
    "hei": (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    "hei-bold": (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"), 2),
    "ming": (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),
    "kai": (Path("/usr/share/fonts/truetype/arphic/ukai.ttc"), 0),
    "zenhei": (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    "microhei": (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
}


def seal_fonts() -> list[str]:
    """``builtin`` (PyMuPDF's CJK font, always there) and whichever system faces are installed."""
    return ["builtin"] + [k for k, (p, _) in FONT_FILES.items() if p.is_file()]


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    if name != "builtin" and name in FONT_FILES and FONT_FILES[name][0].is_file():
        path, index = FONT_FILES[name]
        try:
            return ImageFont.truetype(str(path), size, index=index)
        except OSError:
            return ImageFont.truetype(str(path), size)
    return ImageFont.truetype(io.BytesIO(_font_bytes()), size)


@dataclass(frozen=True)
class Engraving:
    """How one seal is cut and stamped."""

    font: str = "builtin"
    oval: float = 1.0  # height / width
    span_deg: float = 240.0  # arc the ring text covers
    text_size: float = 0.26  # letter height as a share of the radius
    text_radius: float = 0.76  # where the letters' centres run, share of the radius
    border: float = 0.06  # ring line width, share of the radius
    double_ring: bool = False  # a thin second ring inside the first
    star: float = 0.26  # star radius, share of the radius (0: no star)
    serial: str = ""  # digits along the bottom rim, read from inside
    middle: str = ""  # a horizontal line across the middle (发票专用章, 财务专用章)
    bottom: str = ""  # a horizontal line below the star
    tilt_deg: float = 0.0  # the stamp turned in the hand
    color_bgr: tuple[int, int, int] = (40, 30, 210)
    opacity: float = 0.85
    pressure: float = 0.0  # 0: even ink; up to ~0.7: patchy, worn
    blur: float = 0.0  # px at the page's resolution


def stamp(page: np.ndarray, text: str, how: Engraving, *, center: tuple[float, float], radius: float, seed: int = 0) -> np.ndarray:
    """Stamp ``text`` as engraved by ``how`` onto ``page`` (BGR) at ``center`` (relative), ``radius``
    a share of the page width."""
    h, w = page.shape[:2]
    r = max(12, int(radius * w))
    layer = _engrave(text, how, r)
    if how.tilt_deg:
        layer = layer.rotate(how.tilt_deg, resample=Image.BICUBIC, expand=True)
    mask = np.asarray(layer, np.float32) / 255.0
    if how.pressure > 0:
        rng = np.random.default_rng(seed)
        field = rng.random((max(2, mask.shape[0] // 12), max(2, mask.shape[1] // 12))).astype(np.float32)
        field = cv2.resize(field, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_CUBIC)
        grain = rng.random(mask.shape).astype(np.float32)
        mask *= np.clip(1 - how.pressure * (0.6 * field + 0.4 * grain), 0, 1)
    if how.blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), how.blur)
    mask *= how.opacity
    out = page.astype(np.float32)
    x0, y0 = int(center[0] * w - mask.shape[1] / 2), int(center[1] * h - mask.shape[0] / 2)
    sx0, sy0 = max(0, -x0), max(0, -y0)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x0 + mask.shape[1] - sx0), min(h, y0 + mask.shape[0] - sy0)
    m = mask[sy0 : sy0 + y1 - y0, sx0 : sx0 + x1 - x0, None]
    region = out[y0:y1, x0:x1]
    ink = region * (np.array(how.color_bgr, np.float32) / 255.0)  # stamp ink multiplies with the paper
    out[y0:y1, x0:x1] = region * (1 - m) + ink * m
    return out.clip(0, 255).astype(np.uint8)


def _engrave(text: str, how: Engraving, r: int) -> Image.Image:
    ry = r * how.oval
    size = (2 * r + 12, int(2 * ry) + 12)
    layer = Image.new("L", size, 0)
    draw = ImageDraw.Draw(layer)
    cx, cy = size[0] / 2, size[1] / 2
    bw = max(2, int(r * how.border))
    draw.ellipse([cx - r, cy - ry, cx + r, cy + ry], outline=255, width=bw)
    if how.double_ring:
        k = 1 - how.border - 0.05
        draw.ellipse([cx - r * k, cy - ry * k, cx + r * k, cy + ry * k], outline=255, width=max(1, bw // 3))
    if how.star > 0:
        pts = []
        for i in range(10):
            rr = r * (how.star if i % 2 == 0 else how.star * 0.4)
            a = -np.pi / 2 + i * np.pi / 5
            pts.append((cx + rr * np.cos(a), cy + rr * 0.9 * np.sin(a) * (how.oval if how.oval < 1 else 1)))
        draw.polygon(pts, fill=255)
    size_px = max(8, int(r * how.text_size))
    f = font(how.font, size_px)
    # an engraver spaces the letters to the name: longer names take more of the ring, and past
    # ~300 degrees the letters are narrowed instead
    letter = 1.05 * size_px / (r * how.text_radius)
    span = float(np.clip(len(text) * letter * how.span_deg / 240, np.radians(110), np.radians(305)))
    squeeze = min(1.0, span / max(len(text) * letter, 1e-6))
    _arc_text(layer, text, f, cx, cy, r * how.text_radius, ry * how.text_radius, span, outward=True, squeeze=squeeze)
    if how.serial:
        fs = font(how.font, max(6, int(size_px * 0.45)))
        _arc_text(layer, how.serial, fs, cx, cy, r * 0.86, ry * 0.86, np.radians(min(110, 9 * len(how.serial))), outward=False)
    for line, y in ((how.middle, 0.0), (how.bottom, 0.45)):
        if line:
            fm = font(how.font, max(8, int(size_px * 0.8)))
            tw = draw.textlength(line, font=fm)
            draw.text((cx - tw / 2, cy + y * ry - fm.size / 2), line, fill=255, font=fm)
    return layer


def _arc_text(
    layer: Image.Image, text: str, f: ImageFont.FreeTypeFont, cx: float, cy: float, rx: float, ry: float, span: float,
    *, outward: bool, squeeze: float = 1.0,
) -> None:
    """Letters along an ellipse: over the top with their tops to the rim (``outward``), or along the
    bottom read from inside (a serial number)."""
    n = max(1, len(text))
    for i, ch in enumerate(text):
        frac = (i + 0.5) / n
        if outward:
            a = -np.pi / 2 - span / 2 + span * frac
        else:
            a = np.pi / 2 + span / 2 - span * frac
        glyph = Image.new("L", (f.size + 8, f.size + 8), 0)
        ImageDraw.Draw(glyph).text((4, 0), ch, fill=255, font=f)
        if squeeze < 0.98:
            glyph = glyph.resize((max(4, int(glyph.width * squeeze)), glyph.height), Image.BICUBIC)
        deg = np.degrees(a) + (90 if outward else -90)
        glyph = glyph.rotate(-deg, resample=Image.BICUBIC, expand=True)
        gx = cx + rx * np.cos(a) - glyph.width / 2
        gy = cy + ry * np.sin(a) - glyph.height / 2
        layer.paste(255, (int(gx), int(gy)), glyph)


def engravings(seed: int = 0) -> list[Engraving]:
    """A spread of real-world engravings, the same for a given seed."""
    rng = np.random.default_rng(seed)
    fonts = seal_fonts()
    reds = [(40, 30, 210), (60, 40, 190), (90, 60, 220), (70, 50, 170), (120, 90, 230), (50, 70, 200)]
    out = []
    for i in range(24):
        oval = 1.0 if i % 3 else float(rng.choice([0.7, 0.75, 0.8]))
        out.append(
            Engraving(
                font=fonts[i % len(fonts)],
                oval=oval,
                span_deg=float(rng.choice([200, 230, 260, 290])),
                text_size=float(rng.uniform(0.22, 0.3)),
                text_radius=float(rng.uniform(0.72, 0.8)),
                border=float(rng.uniform(0.04, 0.08)),
                double_ring=bool(i % 5 == 0),
                star=0.0 if oval < 1 else float(rng.uniform(0.2, 0.3)),
                serial="".join(str(d) for d in rng.integers(0, 10, 13)) if i % 4 == 1 else "",
                middle="发票专用章" if oval < 1 and i % 2 else "",
                bottom="财务专用章" if i % 7 == 3 else "",
                tilt_deg=float(rng.uniform(-25, 25)),
                color_bgr=reds[i % len(reds)],
                opacity=float(rng.uniform(0.65, 0.95)),
                pressure=float(rng.choice([0.0, 0.2, 0.4])),
                blur=float(rng.choice([0.0, 0.5, 1.0])),
            )
        )
    return out


def tilt_photo(img: np.ndarray, faces: list[dict], deg: float) -> tuple[np.ndarray, list[dict]]:
    """The photo turned ``deg`` degrees clockwise about its centre (corners filled with the edge), and
    its faces' labels (as in realdev's) turned with it: eye points moved; each box moved to its turned
    centre at its own size, as the detector boxes a turned face."""
    if not deg:
        return img, faces
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -deg, 1.0)

    def moved(p: list[float] | None) -> list[float] | None:
        return None if p is None else [float(m[0, 0] * p[0] + m[0, 1] * p[1] + m[0, 2]), float(m[1, 0] * p[0] + m[1, 1] * p[1] + m[1, 2])]

    out = []
    for face in faces:
        x0, y0, x1, y1 = face["bbox_px"]
        cx, cy = moved([(x0 + x1) / 2, (y0 + y1) / 2])  # type: ignore[misc]
        half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
        out.append({**face, "bbox_px": [cx - half_w, cy - half_h, cx + half_w, cy + half_h], "left_eye": moved(face.get("left_eye")), "right_eye": moved(face.get("right_eye"))})
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), out


def mask_eyes(img: np.ndarray, face: dict, how: str, size: float = 1.0, which: str = "both") -> np.ndarray:
    """Cover the eyes of ``face`` (``left_eye``/``right_eye`` points, as in realdev's labels) as an
    applicant's masking tool would: a black, white or coloured bar of relative height ``size``, a
    mosaic, a blur, dark lenses; ``which="left"`` covers the subject's right eye only."""
    (lx, ly), (rx, ry) = face["left_eye"], face["right_eye"]
    d = float(np.hypot(rx - lx, ry - ly))
    out = img.copy()
    angle = np.degrees(np.arctan2(ry - ly, rx - lx))
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    if which == "left":
        cx, cy = lx, ly
    half_w = (0.95 * d) if which == "both" else 0.45 * d
    half_h = 0.22 * d * size
    box = cv2.boxPoints(((cx, cy), (2 * half_w, 2 * half_h), angle)).astype(np.int32)
    region = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(region, [box], 255)
    sel = region > 0
    if how in ("bar", "white", "colour"):
        colour = {"bar": (0, 0, 0), "white": (255, 255, 255), "colour": (40, 40, 200)}[how]
        out[sel] = colour
    elif how == "mosaic":
        x, y, w, h = cv2.boundingRect(box)
        x, y = max(0, x), max(0, y)
        roi = out[y : y + h, x : x + w]
        bs = max(2, int(d * size / 5))
        small = cv2.resize(roi, (max(1, roi.shape[1] // bs), max(1, roi.shape[0] // bs)), interpolation=cv2.INTER_AREA)
        block = cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_NEAREST)
        m = sel[y : y + h, x : x + w]
        roi[m] = block[m]
    elif how == "blur":
        blurred = cv2.GaussianBlur(out, (0, 0), max(2.0, d * size / 6))
        out[sel] = blurred[sel]
    elif how == "lenses":
        for ex, ey in (face["left_eye"], face["right_eye"]):
            cv2.ellipse(out, (int(ex), int(ey)), (int(0.32 * d), int(0.22 * d)), angle, 0, 360, (25, 25, 25), -1)
    return out
