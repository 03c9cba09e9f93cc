"""Faces and eyes: ``UNMASKED_EYES`` (review track, any page) and ``PHOTO_FACE_MISSING`` (2025 photo).

Faces come from libfacedetection (``yuface``: weights compiled in, no download), which keeps
finding a face under a bar or a mosaic over the eyes, where OpenCV's frontal-face cascade loses
it. Each eye is judged on a patch around its landmark:
- covered by a box: the patch is near-uniform;
- pixelated (mosaic): most neighbouring pixels are equal, in blocks;
- smeared (blurred): the patch has far less detail than the nose-and-mouth region of the same face.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline import facefind, orientation
from pipeline.facefind import Face
from pipeline.models import BBox, Finding, FindingCode, Page, iou, relative
from pipeline.context import PageContext


class FaceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_confidence: float = Field(
        0.8,
        description="detector score (0-1) for a face: real faces in realdev score 0.86-0.95 (partial faces at a group "
        "photo's edge 0.72-0.80), printed and scanned ID photos 0.90-0.93; false faces on documents < 0.6, and on a "
        "barred portrait's cheek 0.78",
    )
    photo_min_confidence: float = Field(
        0.7, description="detector score for the 2025 certificate photo's face: a missing face is the finding there, so a doubtful one counts"
    )
    detect_side_px: int = Field(960, description="pages are searched at most this large (the detector's design size)")
    min_eye_px: float = Field(
        20,
        description="eye distance (page pixels) below which a face is too small to judge an eye on its own: on masked real "
        "faces with eyes 10-19 px apart (group photos) the eyes were judged open 3-5 times as often as on larger ones",
    )
    small_eye_px: float = Field(
        10,
        description="eye distance (page pixels) from which a face below min_eye_px (a group photo's) is judged at all, "
        "and then flagged only when both eyes are seen open and the eye model gives each at least small_face_open",
    )
    small_face_open: float = Field(
        0.7,
        description="eye model probability both eyes of a small face must reach: on realdev's 21 faces with eyes 10-19 px "
        "apart, at JPEG 95/80/40, 72 % of open faces reach it and none of 580 masked ones (bars, mosaics, blur, dark lenses, "
        "one eye barred); the model saw the 14-19 px faces in training",
    )
    min_face_px: int = Field(16, description="smaller detections (at detection size) are specks, not faces")
    eye_patch: float = Field(0.28, description="half-size of the patch around an eye, as a share of the eye distance")
    uniform_std: float = Field(9.0, description="grey-level spread below which an eye patch is a painted box")
    blocky_fraction: float = Field(0.55, description="share of equal neighbouring pixels above which a patch is a mosaic")
    grid_concentration: float = Field(
        0.5,
        description="share of the gradient in the strongest fifth of columns/rows above which a patch is a mosaic "
        "on its own: open eyes measured 0.26-0.43 over 7 photo sizes and JPEG 50-100",
    )
    axis_aligned: float = Field(
        0.62,
        description="share of strong gradient on horizontal/vertical edges: mosaics 0.67-0.95, open eyes 0.26-0.58 "
        "(one JPEG-50 outlier at 0.74, whose grid concentration is 0.33)",
    )
    axis_grid_concentration: float = Field(0.345, description="the concentration that confirms an axis-aligned patch")
    detail_ratio: float = Field(0.12, description="eye detail / nose-mouth detail below which the eye is smeared out")
    edge_ratio: float = Field(
        0.6,
        description="the eye's strong edges (95th percentile of the gradient) / the nose and mouth's, below which the "
        "eye is smeared out: an open eye's lid, iris and pupil are the face's sharpest edges, a blurred one's are gone "
        "though JPEG's blocks leave it detail. bench/calibrate_eyes.py (realdev's faces at JPEG 95/70/40), without the "
        "rule / at 0.5 / 0.55 / 0.6: open faces flagged 130 / 129 / 129 / 129 of 130 found, one eye left open 120 / 118 / "
        "117 / 116 of 127, blurred eyes wrongly flagged 23 / 14 / 11 / 8 of 125, fine mosaics 48 / 46 / 44 / 44 of 130, "
        "mosaics 14 / 14 / 14 / 13 of 128; saved again at JPEG 75 (as uploads are re-encoded), open 127 -> 126 of 130 "
        "from 0.55 to 0.7, blurred 17 -> 3 of 123",
    )
    paint_spread: float = Field(
        16.0,
        description="interquartile range (grey levels) of the eye's core (half-size 0.25 x 0.15 of the eye distance, at the "
        "landmark or paint_shift beside it) below which, with its median paint_contrast off the face's skin, the core is "
        "paint: on realdev's faces at JPEG 95/80/40 and 80 then 75, no open eye's core measured below 24 (346 eyes, and "
        "168 beside a one-eye bar: 29)",
    )
    paint_shift: float = Field(0.1, description="how far beside the landmark (share of the eye distance) the core is also looked at")
    paint_contrast: float = Field(45.0, description="grey levels between the core's median and the face's skin (the nose-mouth median)")
    level_deg: float = Field(
        8.0,
        description="a face whose eye line is tilted more than this (degrees) is judged turned level: a bar laid along a "
        "tilted face's eyes leaves skin in the corners of an upright patch, which then looks like an open eye",
    )
    model_open: float = Field(
        0.3,
        description="eye model probability below which an eye the measures call open is taken as covered; at 0.3, leave-one-"
        "picture-out on 48 real faces: open faces still flagged 96%, masked ones wrongly flagged 2-21% by mask (bench/train_eyes.py)",
    )


def find_faces(image: np.ndarray, cfg: FaceConfig) -> list[Face]:
    return facefind.find_faces(image, min_confidence=cfg.min_confidence, side_px=cfg.detect_side_px, min_face_px=cfg.min_face_px)


def faces_on_page(image: np.ndarray, cfg: FaceConfig) -> list[tuple[np.ndarray, facefind.TiltViews, BBox]]:
    """Every face on a page, whichever way up it was pasted or scanned: (the page turned so the face
    is upright, the face in it with its landmarks from the view the detector is surest of and from
    a view as sure when its tilt is in doubt (``facefind.tilt_views``), its box on the page as
    given). One face found two ways counts once, at the turn whose best view the detector is surest
    of: a face tilted 35 degrees is found at two turns about as surely, and its landmarks are right
    only at the nearer one."""
    out: list[tuple[np.ndarray, facefind.TiltViews, BBox]] = []
    for turn, face in facefind.faces_any_way_up(
        image, min_confidence=cfg.min_confidence, side_px=cfg.detect_side_px, min_face_px=cfg.min_face_px, tilts=facefind.WHOLE_PHOTO_TILTS_DEG
    ):
        box = relative(facefind.box_on_original(face, turn, image.shape), image.shape)
        upright = orientation.turn(image, turn)
        # a face too small to judge (detect_eyes passes it by) is not looked at again
        views = facefind.tilt_views(upright, face) if face.eye_distance >= cfg.small_eye_px else facefind.TiltViews(face.confidence, face, None)
        same = [i for i, (_, _, b) in enumerate(out) if iou(b, box) > 0.3]
        if same:
            if views.sure > out[same[0]][1].sure:
                out[same[0]] = (upright, views, box)
            continue
        out.append((upright, views, box))
    return out


def open_eyes(gray: np.ndarray, views: facefind.TiltViews, cfg: FaceConfig) -> tuple[list[EyeState], int]:
    """The eyes judged where the face's best view places them, and how many are open. When a view
    turned far is as sure (the face's tilt in doubt), an eye of a face large enough to judge alone
    counts open only as many times as it is open where that view places the eyes too (a small
    face already counts only with both eyes plainly open). ``bench/calibrate_eyes.py`` (realdev's
    faces, JPEG 95/70/40), before -> after: turned 25 degrees, masked eyes wrongly flagged 219 ->
    164 of 933 faces found (dark lenses 36 -> 21, white bars 11 -> 6, blur 21 -> 12, mosaics 27 ->
    18), open faces flagged 115 -> 115 of 122, one eye barred 91 -> 89 of 107; upright, masked eyes
    wrongly flagged 86 -> 79 of 1 243, open faces flagged 127 -> 126 of 130, one eye barred 116 ->
    109 of 127. Applied to small faces as well, it cut tilted masks to 129 but upright open faces
    fell to 121 (small faces of group photos at JPEG 40-70)."""
    states = eye_states(gray, views.face, cfg)
    seen = sum(s.visible for s in states)
    if seen and views.doubt is not None and views.face.eye_distance >= cfg.min_eye_px:
        seen = min(seen, sum(s.visible for s in eye_states(gray, views.doubt, cfg)))
    return states, seen


@dataclass(frozen=True)
class EyeState:
    visible: bool
    reason: str  # open | box | mosaic | smeared
    box: tuple[int, int, int, int]


def eye_states(gray: np.ndarray, face: Face, cfg: FaceConfig) -> list[EyeState]:
    """Each eye judged twice: by the measures below (a box, paint, a mosaic, a smear) and by the eye
    model, a linear classifier of the eye's appearance trained on masked real faces. An eye is
    visible only when both see it open: masks that the measures miss on small or soft faces (dark
    lenses, blur, fine mosaics) the model rarely takes for an eye."""
    gray_taken, tilted = gray, face
    gray, face = _levelled(gray, face, cfg.level_deg)
    d = face.eye_distance
    r = max(3, int(cfg.eye_patch * d))
    skin_box = _patch_box(face.nose, face.mouth, r)
    skin_patch = _cut(gray, skin_box)
    ref = _detail(skin_patch)
    skin = float(np.median(skin_patch)) if skin_patch.size else None
    ref_edges = _edges(gray, skin_box)
    states = []
    for x, y in face.eyes:
        state = _judge(gray, (int(x), int(y)), r, ref, cfg)
        if state.visible and skin is not None and _painted(gray, (x, y), d, skin, cfg):
            state = EyeState(False, "box", state.box)
        elif state.visible and ref_edges > 0 and _edges(gray, state.box) < cfg.edge_ratio * ref_edges:
            state = EyeState(False, "smeared", state.box)
        states.append(state)
    if tilted is not face:
        states = _mosaic_as_taken(gray_taken, tilted, states, r, cfg)
    if not any(s.visible for s in states) or cfg.model_open <= 0:
        return states
    p_open = eye_model().open_probability(gray_taken, tilted)  # the model levels the face itself
    return [
        s if not s.visible or p >= cfg.model_open else EyeState(False, "unlike an eye", s.box)
        for s, p in zip(states, p_open, strict=True)
    ]


def _levelled(gray: np.ndarray, face: Face, max_deg: float) -> tuple[np.ndarray, Face]:
    """The face's surroundings turned so its eyes are level, and the face in them (the face as given when
    it is tilted by ``max_deg`` or less)."""
    (lx, ly), (rx, ry) = face.eyes
    angle = float(np.degrees(np.arctan2(ry - ly, rx - lx)))
    if abs(angle) <= max_deg:
        return gray, face
    h, w = gray.shape[:2]
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    half = int(2.5 * face.eye_distance) + 4
    x0, y0 = max(0, int(cx) - half), max(0, int(cy) - half)
    x1, y1 = min(w, int(cx) + half + 1), min(h, int(cy) + half + 1)
    m = cv2.getRotationMatrix2D((cx - x0, cy - y0), angle, 1.0)
    part = cv2.warpAffine(gray[y0:y1, x0:x1], m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    on_page = m.copy()
    on_page[:, 2] -= m[:, :2] @ (x0, y0)  # the same turn, taking page pixels
    return part, face.transformed(on_page)


def _mosaic_as_taken(gray: np.ndarray, face: Face, states: list[EyeState], r: int, cfg: FaceConfig) -> list[EyeState]:
    """A mosaic's blocks follow the picture's axes, not the face's: on a tilted face an eye seen open
    once levelled is also looked at as it was taken, for a mosaic only."""
    skin_patch = _cut(gray, _patch_box(face.nose, face.mouth, r))
    ref = _detail(skin_patch)
    out = []
    for state, (x, y) in zip(states, face.eyes, strict=True):
        if state.visible and _judge(gray, (int(x), int(y)), r, ref, cfg).reason == "mosaic":
            state = EyeState(False, "mosaic", state.box)
        out.append(state)
    return out


def _patch_box(nose: tuple[float, float], mouth: tuple[tuple[float, float], tuple[float, float]], r: int) -> tuple[int, int, int, int]:
    """The nose and mouth (x0, y0, x1, y1): the face's own skin, detail and edges, to judge an eye against."""
    x0 = int(min(nose[0], mouth[0][0])) - r // 2
    x1 = int(max(nose[0], mouth[1][0])) + r // 2
    y0, y1 = int(nose[1]) - r // 2, int(max(mouth[0][1], mouth[1][1])) + r // 2
    return x0, y0, x1, y1


def _cut(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return gray[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)]


def _edges(gray: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The strong edges in a box: the 95th percentile of the gradient (grey levels per pixel), the
    gradient taken with the pixels around the box."""
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), max(1, box[2]), max(1, box[3])
    h, w = gray.shape[:2]
    px0, py0 = max(0, x0 - 1), max(0, y0 - 1)
    part = gray[py0 : min(h, y1 + 1), px0 : min(w, x1 + 1)].astype(np.float32)
    if part.shape[0] < 3 or part.shape[1] < 3:
        return 0.0
    grad = cv2.magnitude(cv2.Sobel(part, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(part, cv2.CV_32F, 0, 1, ksize=3)) / 8
    inner = grad[y0 - py0 : y0 - py0 + (min(h, y1) - y0), x0 - px0 : x0 - px0 + (min(w, x1) - x0)]
    return float(np.percentile(inner, 95)) if inner.size else 0.0


def _detail(patch: np.ndarray) -> float:
    if patch.size < 9:
        return 0.0
    return float(cv2.Laplacian(patch.astype(np.float32), cv2.CV_32F).var())


def _judge(gray: np.ndarray, c: tuple[int, int], r: int, ref: float, cfg: FaceConfig) -> EyeState:
    x0, y0, x1, y1 = c[0] - r, c[1] - r // 2 - 1, c[0] + r + 1, c[1] + r // 2 + 2
    patch = gray[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)].astype(np.float32)
    box = (x0, y0, x1, y1)
    if min(patch.shape) < 3 or float(patch.std()) < cfg.uniform_std:  # cut by the picture's edge, or flat
        return EyeState(False, "box", box)
    dx = np.abs(np.diff(patch, axis=1))
    dy = np.abs(np.diff(patch, axis=0))
    equal = (float((dx < 1).mean()) + float((dy < 1).mean())) / 2
    grid = (_concentration(dx.sum(axis=0)) + _concentration(dy.sum(axis=1))) / 2
    if (
        equal > cfg.blocky_fraction
        or grid > cfg.grid_concentration
        or (_axis_aligned(patch) > cfg.axis_aligned and grid > cfg.axis_grid_concentration)
    ):
        return EyeState(False, "mosaic", box)
    if ref > 0 and _detail(patch) < cfg.detail_ratio * ref:
        return EyeState(False, "smeared", box)
    return EyeState(True, "open", box)


def _painted(gray: np.ndarray, c: tuple[float, float], d: float, skin: float, cfg: FaceConfig) -> bool:
    """Paint, not an eye, at the eye: a core (half-size 0.25 x 0.15 of the eye distance) of one flat
    tone far from the face's skin, centred on the landmark or up to ``paint_shift`` of the eye
    distance beside it (the detector can place the landmark at the edge of the bar or lens). An open
    eye's core holds white, iris and lid."""
    hw, hh = max(1, int(0.25 * d)), max(1, int(0.15 * d))
    step = cfg.paint_shift * d
    for dx in (0.0, -step, step):
        for dy in (0.0, -step, step):
            x, y = int(c[0] + dx), int(c[1] + dy)
            core = gray[max(0, y - hh) : max(0, y + hh + 1), max(0, x - hw) : max(0, x + hw + 1)]
            if core.size < 4:
                continue
            q1, med, q3 = np.percentile(core, [25, 50, 75])
            if float(q3 - q1) < cfg.paint_spread and abs(float(med) - skin) > cfg.paint_contrast:
                return True
    return False


def _axis_aligned(patch: np.ndarray) -> float:
    """Share of the strongest gradients that lie on horizontal or vertical edges (a mosaic's block edges)."""
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)
    ax, ay = np.abs(gx), np.abs(gy)
    mag = np.hypot(gx, gy)
    strong = mag > np.percentile(mag, 70)
    aligned = strong & (np.minimum(ax, ay) < 0.25 * np.maximum(ax, ay))
    return float(mag[aligned].sum() / max(float(mag[strong].sum()), 1e-6))


def _concentration(profile: np.ndarray) -> float:
    """Share of a gradient profile held by its strongest fifth of positions."""
    v = np.sort(profile)[::-1]
    return float(v[: max(1, len(v) // 5)].sum() / max(float(v.sum()), 1e-6))


def detect_eyes(page: Page, ctx: PageContext) -> list[Finding]:
    """Review track: every face on every page must have both eyes covered (a photo pasted onto a
    page sideways too)."""
    if not ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("faces", FaceConfig)
    out = []
    for upright, views, box in faces_on_page(page.image, cfg):
        face = views.face
        if face.eye_distance < cfg.small_eye_px:
            continue  # too small to judge either way
        small = face.eye_distance < cfg.min_eye_px
        judged = cfg.model_copy(update={"model_open": cfg.small_face_open}) if small else cfg
        states, seen = open_eyes(cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY), views, judged)
        if small and seen < 2:
            continue  # a small face counts only when both its eyes are plainly open
        if seen:
            out.append(
                page.finding(
                    FindingCode.UNMASKED_EYES,
                    f"照片眼部未遮盖（{seen}只眼睛可见），请使用遮盖工具遮盖双眼",
                    bbox=box,
                    evidence={"face_score": round(face.confidence, 2), "eyes": [s.reason for s in states], "score": round(face.confidence, 2)},
                )
            )
    return out


def _eyes_covered(gray: np.ndarray, face: Face, cfg: FaceConfig) -> bool:
    states = eye_states(gray, face, cfg.model_copy(update={"model_open": 0.0}))
    if not any(not s.visible for s in states):
        return False
    p_open = eye_model().open_probability(gray, face)
    return any(not s.visible and (s.reason == "box" or p < cfg.model_open) for s, p in zip(states, p_open, strict=True))


def detect_photo(page: Page, ctx: PageContext) -> list[Finding]:
    """2025 tracks: the certificate photo shows exactly one clear face, eyes visible."""
    if ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("faces", FaceConfig)
    faces = find_faces(page.image, cfg.model_copy(update={"min_confidence": cfg.photo_min_confidence}))
    gray = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    # Taking an open eye for a covered one here would return a good photo: an eye counts as covered
    # when it is a painted box, or when the measures and the eye model both see no eye.
    if len(faces) == 1 and not _eyes_covered(gray, facefind.tilt_corrected(page.image, faces[0]), cfg):
        return []
    if not faces:
        why = "未检测到清晰的人脸"
    elif len(faces) > 1:
        why = f"检测到{len(faces)}张人脸"
    else:
        why = "眼部被遮挡或不清晰"
    return [
        page.finding(
            FindingCode.PHOTO_FACE_MISSING,
            f"证件照不符合要求：{why}。照片将作为电子职称证书照片，须为本人清晰、无遮挡的正面免冠照",
            bbox=relative(faces[0].box, page.image.shape) if len(faces) == 1 else None,
            evidence={"faces": len(faces), "score": 0.9},
        )
    ]


# ---------------------------------------------------------------- eye model

EYE_ALIGN_PX = 32  # eye distance the face is scaled to before an eye is described
_HOG = None


def _hog() -> cv2.HOGDescriptor:
    global _HOG
    if _HOG is None:
        _HOG = cv2.HOGDescriptor((24, 16), (8, 8), (4, 4), (4, 4), 9)
    return _HOG


def eye_descriptors(gray: np.ndarray, face: Face) -> np.ndarray:
    """One row per eye (subject's right, then left): the eye's gradients (HOG), its contrast,
    flatness and brightness against the face, and its pixels, on the face turned level and scaled
    to a 32-px eye distance (so the description does not depend on the photo's size or tilt)."""
    d = EYE_ALIGN_PX
    (lx, ly), (rx, ry) = face.eyes
    dist = max(float(np.hypot(rx - lx, ry - ly)), 1.0)
    s = d / dist
    m = cv2.getRotationMatrix2D(((lx + rx) / 2, (ly + ry) / 2), float(np.degrees(np.arctan2(ry - ly, rx - lx))), s)
    m[:, 2] += (1.25 * d - (lx + rx) / 2, 1.0 * d - (ly + ry) / 2)
    a = cv2.warpAffine(gray, m, (int(2.5 * d), int(2.6 * d)), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    face_px = a[int(0.6 * d) : int(2.4 * d), int(0.5 * d) : int(2.0 * d)].astype(np.float32)
    mean, spread = float(face_px.mean()), float(face_px.std()) + 1e-3
    rows = []
    for ex in (0.75 * d, 1.75 * d):
        p = a[int(d - 8) : int(d + 8), int(ex - 12) : int(ex + 12)].astype(np.float32)
        pn = np.clip((p - mean) / spread * 40 + 128, 0, 255).astype(np.uint8)
        lap = cv2.Laplacian(p, cv2.CV_32F)
        extra = [float(p.std()) / spread, float((np.abs(lap) < 3).mean()), (float(p.mean()) - mean) / spread]
        rows.append(np.concatenate([_hog().compute(pn).ravel(), extra, pn[::2, ::2].ravel() / 255.0]))
    return np.asarray(rows, np.float32)


class EyeModel:
    """Logistic regression over ``eye_descriptors`` (weights in ``detectors/data/eye_model.json``,
    made by ``bench/train_eyes.py``)."""

    def __init__(self, path: Path = Path(__file__).parent / "data" / "eye_model.json") -> None:
        data = json.loads(path.read_text())
        self.mean = np.asarray(data["mean"], np.float32)
        self.scale = np.asarray(data["scale"], np.float32)
        self.weights = np.asarray(data["weights"], np.float32)
        self.bias = float(data["bias"])
        self.version = data.get("version", "")

    def open_probability(self, gray: np.ndarray, face: Face) -> list[float]:
        z = (eye_descriptors(gray, face) - self.mean) / self.scale @ self.weights + self.bias
        return [float(v) for v in 1 / (1 + np.exp(-z))]


@lru_cache(maxsize=1)
def eye_model() -> EyeModel:
    return EyeModel()
