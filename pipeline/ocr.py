"""One OCR interface; the default runs PaddleOCR's PP-OCR models from the ``rapidocr`` wheel on onnxruntime.

Nothing here downloads: the models ship inside the wheel. An engine is built once per
process (``get_engine``) and reused for every page.
"""

from __future__ import annotations

import inspect
import logging
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from pipeline.build import files_digest, source_files, sources_digest
from pipeline.errors import EngineError
from pipeline.models import TextLine

log = logging.getLogger(__name__)


class OcrEngine(Protocol):
    name: str
    fingerprint: str  # name, model files, parameters and this code: what shapes a reading

    def read(self, image: np.ndarray, keep_unread: bool = False) -> list[TextLine]:
        """Text lines of an upright BGR image, boxes relative to the image. With ``keep_unread``,
        text the detector found but the recogniser could not read comes too, as lines with no
        text and their low confidence (a blurred page still shows where its text is)."""
        ...

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Text and confidence of an image holding a single line."""
        ...


class RapidOcrEngine:
    """PP-OCR det + rec (ONNX, bundled with rapidocr). The page is upright already, so no line classifier."""

    def __init__(self, threads: int = 0, min_score: float = 0.5) -> None:
        self._threads, self._min_score = threads, min_score
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - the dependency is mandatory
            raise EngineError(f"rapidocr is not installed: {exc}") from None
        params = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": 0.0,  # every line found; those read with less than min_score are told apart below
        }
        if threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        self._engine = RapidOCR(params=params)
        # options stick to a RapidOCR object, so single lines get their own recognition-only engine
        self._line_engine = RapidOCR(params=params | {"Global.use_det": False})
        self._lock = threading.Lock()  # one onnxruntime session; calls are serialised per engine
        self.name = f"rapidocr-{version('rapidocr')}/PP-OCRv6-small"

    def __reduce__(self):  # noqa: ANN204 - pickled as a reference: the other process loads its own, once
        return (_shared_rapidocr, (self._threads, self._min_score))

    @property
    def fingerprint(self) -> str:
        return _rapidocr_fingerprint(self.name, self._min_score)

    def read(self, image: np.ndarray, keep_unread: bool = False) -> list[TextLine]:
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return []
        with self._lock:
            out = self._engine(image, use_det=True, use_cls=False, use_rec=True)
        if out.boxes is None or out.txts is None:
            return []
        lines = []
        for box, text, score in zip(out.boxes, out.txts, out.scores, strict=True):
            text = str(text).strip()
            score = float(min(1.0, max(0.0, score)))
            read = bool(text) and score >= self._min_score
            if not read and not keep_unread:
                continue
            pts = np.asarray(box, dtype=np.float64)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            rel = (max(0.0, x0 / w), max(0.0, y0 / h), min(1.0, x1 / w), min(1.0, y1 / h))
            lines.append(TextLine(text=text if read else "", bbox=rel, confidence=score if read else min(score, self._min_score * 0.99), source="ocr"))
        return lines


    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Recognition only, for an image that is one line of text (an unwrapped seal ring)."""
        h, w = image.shape[:2]
        if h < 8 or w < 8 or w > 60 * h:  # not a line of text a recogniser can take
            return "", 0.0
        if w > 1900:  # the engine's own resize to 2000 px fails on very long strips
            image = cv2.resize(image, (1900, max(8, round(h * 1900 / w))), interpolation=cv2.INTER_AREA)
        with self._lock:
            out = self._line_engine(image, use_det=False, use_cls=False, use_rec=True)
        if not out.txts:
            return "", 0.0
        return "".join(out.txts).strip(), float(np.mean(out.scores))


@lru_cache(maxsize=4)
def _rapidocr_fingerprint(name: str, min_score: float) -> str:
    """The engine's name, its model files and default configuration, our parameters and this module."""
    from rapidocr import RapidOCR

    package = Path(inspect.getsourcefile(RapidOCR) or "").parent
    data = sorted(package.glob("models/*.onnx")) + sorted(package.glob("*.yaml"))
    return f"{name}|min_score={min_score}|{files_digest(data)}|{sources_digest(source_files(RapidOcrEngine))}"


ENGINES = {"rapidocr": RapidOcrEngine}
_LOADING = threading.Lock()


@lru_cache(maxsize=4)
def _rapidocr(threads: int, min_score: float) -> RapidOcrEngine:
    return RapidOcrEngine(threads, min_score)


def _shared_rapidocr(threads: int, min_score: float) -> OcrEngine:
    with _LOADING:
        return _load("rapidocr", threads) if min_score == 0.5 else _rapidocr(threads, min_score)


@lru_cache(maxsize=4)
def _load(name: str, threads: int) -> OcrEngine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise EngineError(f"unknown OCR engine {name!r}; available: {', '.join(ENGINES)}") from None
    log.info("loading OCR engine %s", name)
    return factory(threads=threads)


def get_engine(name: str = "rapidocr", threads: int = 0) -> OcrEngine:
    """The process-wide engine for ``name``: models load once per process, under a lock, however
    many page threads ask for it first."""
    with _LOADING:
        return _load(name, threads)
