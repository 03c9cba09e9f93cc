"""One OCR interface; the default runs PaddleOCR's PP-OCR models from the ``rapidocr`` wheel on OpenVINO.

Nothing here downloads: the models ship inside the ``rapidocr`` wheel and every backend is given
their paths (OpenVINO reads the same ONNX files). An engine is built once per process
(``get_engine``) and reused for every page. ``OcrOptions`` chooses the backend, the detection
input size and the recognition batch; ``bench/bench_ocr.py`` measures each against the others.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

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

    def count_lines(self, image: np.ndarray) -> int:
        """How many text lines the detector finds on an upright image; nothing is recognised."""
        ...


class OcrOptions(BaseModel):
    """How the OCR models run. Each option shapes what is read, so all of them are in the engine's
    fingerprint (and so in every page's cache key). Defaults measured by ``bench/bench_ocr.py`` on this
    kind of machine (2 cores): the fastest setting whose text-based findings keep their recall."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Literal["openvino", "onnxruntime"] = Field(
        "openvino",
        description="inference runtime of the detection and recognition models (the same ONNX files, both pinned "
        "dependencies): OpenVINO reads a page in about half onnxruntime's time with the same findings (bench_ocr); its "
        "buffers grow with the detector's input, so it runs with det_side_px 960 (a worker peaks at 0.85 GB on 200-DPI A4 "
        "pages, 0.80 GB on 12-Mpx phone photos; 1.09 / 1.01 GB at 1600 px; bench_targets)",
    )
    det_side_px: int = Field(
        960,
        ge=0,
        le=4000,
        description="long side (px) of the text detector's input; 0 = the page as rapidocr prepares it (up to 2000 px). "
        "Recognition always reads the lines cut from the page itself. At 960 the detector finds each line whole on "
        "pages blurred up to 2 pt, where at the page's own size it breaks soft text into pieces; blur is therefore "
        "judged by the edge measures, not by what OCR leaves unread (detectors/clarity.py)",
    )
    det_text_px: float = Field(
        0,
        ge=0,
        le=64,
        description="0 = off; else the detector's input is scaled so that the page's own median text line is this "
        "high (px), judged from a first detection at det_side_px (or 960 px); costs that first detection",
    )
    rec_batch: int = Field(
        6, ge=1, le=64, description="text lines per recognition call (rapidocr's default 6): 16 and 32 measured no "
        "faster beyond the noise of this shared machine (bench_ocr) and pad short lines to the longest, which "
        "changed a few characters read"
    )


_PROBE_SIDE = 960  # px, the detector's input when only looking for text
_MIN_SIDE, _MAX_SIDE = 640, 2000  # px, the detector's input sizes a page's own text height may choose


class RapidOcrEngine:
    """PP-OCR det + rec (ONNX, bundled with rapidocr). The page is upright already, so no line classifier."""

    def __init__(self, threads: int = 0, min_score: float = 0.5, options: OcrOptions | None = None) -> None:
        options = options or OcrOptions()
        self._threads, self._min_score, self.options = threads, min_score, options
        try:
            from rapidocr import EngineType, RapidOCR
        except ImportError as exc:  # pragma: no cover - the dependency is mandatory
            raise EngineError(f"rapidocr is not installed: {exc}") from None
        models = _rapidocr_dir() / "models"
        params: dict[str, object] = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": 0.0,  # every line found; those read with less than min_score are told apart below
            # the model files inside the wheel, named for every backend: nothing is looked up or downloaded
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
            "Rec.rec_batch_num": options.rec_batch,
        }
        if options.det_side_px:
            params |= {"Det.limit_type": "max", "Det.limit_side_len": options.det_side_px}
        if options.backend == "openvino":
            try:
                _without_model_converter()
                import openvino  # noqa: F401
            except ImportError as exc:
                raise EngineError(f"OCR backend openvino is not installed: {exc}") from None
            params |= {"Det.engine_type": EngineType.OPENVINO, "Rec.engine_type": EngineType.OPENVINO}
            if threads > 0:
                params["EngineConfig.openvino.inference_num_threads"] = threads
        elif threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        # one engine (one detector and one recogniser in memory) for pages and single lines: options
        # stick to a RapidOCR object, so every call passes every one of them
        self._engine = RapidOCR(params=params)
        self._lock = threading.Lock()  # one session per model; calls are serialised per engine
        self.name = f"rapidocr-{version('rapidocr')}/PP-OCRv6-small/{options.backend}"

    def __reduce__(self):  # noqa: ANN204 - pickled as a reference: the other process loads its own, once
        return (_shared_rapidocr, (self._threads, self._min_score, self.options))

    @property
    def fingerprint(self) -> str:
        return _rapidocr_fingerprint(self.name, self._min_score, self.options)

    def read(self, image: np.ndarray, keep_unread: bool = False) -> list[TextLine]:
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return []
        with self._lock:
            self._set_detector_side(self._side_for_text(image) if self.options.det_text_px else self.options.det_side_px)
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

    def count_lines(self, image: np.ndarray) -> int:
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return 0
        with self._lock:  # every option passed on every call: they stick to the engine object
            return len(self._detect(image, self.options.det_side_px or _PROBE_SIDE))

    def _detect(self, image: np.ndarray, side: int) -> np.ndarray:
        """Boxes (N x 4 x 2, image pixels) the detector finds with its input's long side at most ``side``."""
        self._set_detector_side(side)
        out = self._engine(image, use_det=True, use_cls=False, use_rec=False)
        return np.zeros((0, 4, 2)) if out.boxes is None else np.asarray(out.boxes)

    def _side_for_text(self, image: np.ndarray) -> int:
        """The detector's input size that makes this page's median text line ``det_text_px`` high."""
        boxes = self._detect(image, self.options.det_side_px or _PROBE_SIDE)
        long_side = max(image.shape[:2])
        if not len(boxes):
            return self.options.det_side_px or _PROBE_SIDE
        heights = boxes[:, :, 1].max(axis=1) - boxes[:, :, 1].min(axis=1)
        wanted = long_side * self.options.det_text_px / max(float(np.median(heights)), 1.0)
        return int(min(_MAX_SIDE, max(_MIN_SIDE, wanted)))

    def _set_detector_side(self, side: int) -> None:
        """rapidocr 3.10's detector reads its size limit on every call (pinned version: see pyproject)."""
        det = self._engine._load_det_model()  # noqa: SLF001
        if side:
            det.limit_type, det.limit_side_len = "max", side
        else:
            det.limit_type, det.limit_side_len = "min", 736  # rapidocr's own default

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Recognition only, for an image that is one line of text (an unwrapped seal ring)."""
        h, w = image.shape[:2]
        if h < 8 or w < 8 or w > 60 * h:  # not a line of text a recogniser can take
            return "", 0.0
        if w > 1900:  # the engine's own resize to 2000 px fails on very long strips
            image = cv2.resize(image, (1900, max(8, round(h * 1900 / w))), interpolation=cv2.INTER_AREA)
        with self._lock:
            out = self._engine(image, use_det=False, use_cls=False, use_rec=True)
        if not out.txts:
            return "", 0.0
        return "".join(out.txts).strip(), float(np.mean(out.scores))


def _rapidocr_dir() -> Path:
    from rapidocr import RapidOCR

    return Path(inspect.getsourcefile(RapidOCR) or "").parent


@lru_cache(maxsize=8)
def _rapidocr_fingerprint(name: str, min_score: float, options: OcrOptions) -> str:
    """The engine's name and backend, its model files and default configuration, our parameters
    and options, the backend's version and this module."""
    package = _rapidocr_dir()
    data = sorted(package.glob("models/*.onnx")) + sorted(package.glob("*.yaml"))
    runtime = f"{options.backend}-{version(options.backend)}"
    return (
        f"{name}|min_score={min_score}|{options.model_dump_json()}|{runtime}|{files_digest(data)}"
        f"|{sources_digest(source_files(RapidOcrEngine))}"
    )


ENGINES = {"rapidocr": RapidOcrEngine}
_LOADING = threading.Lock()


@lru_cache(maxsize=4)
def _rapidocr(threads: int, min_score: float, options: OcrOptions) -> RapidOcrEngine:
    return RapidOcrEngine(threads, min_score, options)


def _shared_rapidocr(threads: int, min_score: float, options: OcrOptions | None = None) -> OcrEngine:
    options = options or OcrOptions()
    with _LOADING:
        return _load("rapidocr", threads, options) if min_score == 0.5 else _rapidocr(threads, min_score, options)


@lru_cache(maxsize=4)
def _load(name: str, threads: int, options: OcrOptions) -> OcrEngine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise EngineError(f"unknown OCR engine {name!r}; available: {', '.join(ENGINES)}") from None
    log.info("loading OCR engine %s (%s)", name, options.backend)
    return factory(threads=threads, options=options)


def _without_model_converter() -> None:
    """Import OpenVINO's runtime without its model converter (``openvino.tools.ovc``): importing that
    sends a usage event to Google Analytics and writes ``~/intel`` on every start. Nothing here
    converts a model; ``openvino`` imports the converter only if it can (an ``ImportError`` is
    passed over), and a module entry of ``None`` makes that import fail."""
    sys.modules.setdefault("openvino.tools.ovc", None)  # type: ignore[arg-type]


def get_engine(name: str = "rapidocr", threads: int = 0, options: OcrOptions | None = None) -> OcrEngine:
    """The process-wide engine for ``name`` and ``options``: models load once per process, under a
    lock, however many page threads ask for it first."""
    with _LOADING:
        return _load(name, threads, options or OcrOptions())
