"""Faces and eyes: ``UNMASKED_EYES`` (review track, any page) and ``PHOTO_FACE_MISSING`` (2025 photo).

Faces come from libfacedetection (``yuface``: weights compiled in, no download), which keeps
finding a face under a bar or a mosaic over the eyes, where OpenCV's frontal-face cascade loses
it. Each eye is judged on a patch around its landmark:
- covered by a box: the patch is near-uniform;
- pixelated (mosaic): most neighbouring pixels are equal, in blocks;
- smeared (blurred): the patch has far less detail than the nose-and-mouth region of the same face.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import BBox, Finding, FindingCode, Page
from pipeline.context import PageContext


class FaceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_confidence: float = Field(0.7, description="detector score (0-1) for a face; false faces on documents score < 0.6")
    detect_side_px: int = Field(960, description="pages are searched at most this large (the detector's design size)")
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


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # pixels of the page image
    confidence: float
    eyes: tuple[tuple[float, float], tuple[float, float]]
    nose: tuple[float, float]
    mouth: tuple[tuple[float, float], tuple[float, float]]


@lru_cache(maxsize=1)
def _detector():  # noqa: ANN202
    import yuface

    return yuface


def find_faces(image: np.ndarray, cfg: FaceConfig) -> list[Face]:
    h, w = image.shape[:2]
    s = min(1.0, cfg.detect_side_px / max(h, w))
    small = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    confs, boxes, marks = _detector().detect(np.ascontiguousarray(small), conf=cfg.min_confidence)
    faces = []
    for c, b, lm in zip(confs, boxes, marks, strict=True):
        if min(b[2], b[3]) < cfg.min_face_px:
            continue
        p = [(float(lm[i]) / s, float(lm[i + 1]) / s) for i in range(0, 10, 2)]
        x, y, bw, bh = (float(v) / s for v in b)
        if not _plausible(p, (x, y, bw, bh)):
            continue
        faces.append(Face((x, y, x + bw, y + bh), float(c) / 100, (p[0], p[1]), p[2], (p[3], p[4])))
    return faces


def _plausible(p: list[tuple[float, float]], box: tuple[float, float, float, float]) -> bool:
    """Eyes side by side above the nose, the nose above the mouth, all inside the face."""
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = p
    eye_dist = rx - lx
    return eye_dist > 0.2 * box[2] and max(ly, ry) < ny < (mly + mry) / 2 + 1 and abs(ly - ry) < 0.5 * eye_dist


@dataclass(frozen=True)
class EyeState:
    visible: bool
    reason: str  # open | box | mosaic | smeared
    box: tuple[int, int, int, int]


def eye_states(gray: np.ndarray, face: Face, cfg: FaceConfig) -> list[EyeState]:
    (lx, ly), (rx, ry) = face.eyes
    r = max(3, int(cfg.eye_patch * np.hypot(rx - lx, ry - ly)))
    ref = _detail(_patch(gray, face.nose, face.mouth, r))
    return [_judge(gray, (int(x), int(y)), r, ref, cfg) for x, y in face.eyes]


def _patch(gray: np.ndarray, nose: tuple[float, float], mouth: tuple[tuple[float, float], tuple[float, float]], r: int) -> np.ndarray:
    x0 = int(min(nose[0], mouth[0][0])) - r // 2
    x1 = int(max(nose[0], mouth[1][0])) + r // 2
    y0, y1 = int(nose[1]) - r // 2, int(max(mouth[0][1], mouth[1][1])) + r // 2
    return gray[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)]


def _detail(patch: np.ndarray) -> float:
    if patch.size < 9:
        return 0.0
    return float(cv2.Laplacian(patch.astype(np.float32), cv2.CV_32F).var())


def _judge(gray: np.ndarray, c: tuple[int, int], r: int, ref: float, cfg: FaceConfig) -> EyeState:
    x0, y0, x1, y1 = c[0] - r, c[1] - r // 2 - 1, c[0] + r + 1, c[1] + r // 2 + 2
    patch = gray[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)].astype(np.float32)
    box = (x0, y0, x1, y1)
    if patch.size < 9 or float(patch.std()) < cfg.uniform_std:
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


def _rel(box: tuple[float, float, float, float], image: np.ndarray) -> BBox:
    h, w = image.shape[:2]
    return (max(0.0, box[0] / w), max(0.0, box[1] / h), min(1.0, box[2] / w), min(1.0, box[3] / h))


def detect_eyes(page: Page, ctx: PageContext) -> list[Finding]:
    """Review track: every face on every page must have both eyes covered."""
    if not ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("faces", FaceConfig)
    gray = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    out = []
    for face in find_faces(page.image, cfg):
        states = eye_states(gray, face, cfg)
        open_eyes = [s for s in states if s.visible]
        if open_eyes:
            out.append(
                page.finding(
                    FindingCode.UNMASKED_EYES,
                    f"照片眼部未遮盖（{len(open_eyes)}只眼睛可见），请使用遮盖工具遮盖双眼",
                    bbox=_rel(face.box, page.image),
                    evidence={"face_score": round(face.confidence, 2), "eyes": [s.reason for s in states], "score": round(face.confidence, 2)},
                )
            )
    return out


def detect_photo(page: Page, ctx: PageContext) -> list[Finding]:
    """2025 tracks: the certificate photo shows exactly one clear face, eyes visible."""
    if ctx.notice.masking_required:
        return []
    cfg = ctx.config_for("faces", FaceConfig)
    faces = find_faces(page.image, cfg)
    gray = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    if len(faces) == 1 and all(s.visible for s in eye_states(gray, faces[0], cfg)):
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
            bbox=_rel(faces[0].box, page.image) if len(faces) == 1 else None,
            evidence={"faces": len(faces), "score": 0.9},
        )
    ]
