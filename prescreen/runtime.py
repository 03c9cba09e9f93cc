"""Wiring: engines, detectors, rules and the store, built from ``Settings`` once per process."""

from __future__ import annotations

import threading
from functools import lru_cache

import cv2

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.context import Engines, ScreenOptions
from pipeline.manifest import Track
from pipeline.ocr import OcrOptions, get_engine
from pipeline.orientation import get_orientation_model
from pipeline.rules import Notice, load_rules
from prescreen.settings import Settings
from storage.objectstore import LocalStore, MinioStore, ObjectStore
from storage.reviewdb import ReviewDB


@lru_cache(maxsize=4)
def review_db(url: str) -> ReviewDB:
    return ReviewDB(url)


_LOADING = threading.Lock()


def engines(ocr_engine: str = "rapidocr", threads: int = 0, ocr: OcrOptions | None = None) -> Engines:
    """The models, loaded once per process (under a lock: page threads may ask at once). ``threads``
    > 0 caps every model and OpenCV at that many threads (one worker process per core scales
    better than one process using every core); ``ocr`` chooses the OCR backend and sizes."""
    with _LOADING:
        return _engines(ocr_engine, threads, ocr or OcrOptions())


@lru_cache(maxsize=4)
def _engines(ocr_engine: str, threads: int, ocr: OcrOptions) -> Engines:
    if threads > 0:
        cv2.setNumThreads(threads)
    return Engines(ocr=get_engine(ocr_engine, threads, ocr), orientation=get_orientation_model(threads))


def engines_for(settings: Settings) -> Engines:
    return engines(settings.ocr_engine, settings.ocr_threads, settings.ocr)


def options_for(settings: Settings) -> ScreenOptions:
    return ScreenOptions(limits=settings.limits)


def notices(settings: Settings) -> dict[Track, Notice]:
    """The notices in force, checked against the checks this build has: a rules file naming an
    unknown check, or a config its check refuses, stops here with one line."""
    return load_rules(settings.rules_dir, detectors(), packet_checks())


def detectors():  # noqa: ANN201 - the registry mapping
    return REGISTRY


def packet_checks():  # noqa: ANN201 - the packet-level rules, in report order
    return PACKET_CHECKS


def store_for(settings: Settings) -> ObjectStore:
    settings.refuse_unsafe()  # production: no default or placeholder credentials, in the app and in every worker
    if settings.store == "minio":
        return MinioStore(
            settings.minio_endpoint,
            settings.minio_access_key,
            settings.minio_secret_key.get_secret_value(),
            settings.minio_bucket,
            secure=settings.minio_secure,
            region=settings.minio_region,
        )
    return LocalStore(settings.local_root)
