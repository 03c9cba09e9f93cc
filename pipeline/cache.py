"""Per-page results cached by content hash plus engine and rules versions.

Two levels, so that each change costs only what it must:

- ``read/``: what was read off a page (rotation, text lines). Keyed by the file's SHA-256, the
  page number, the OCR and orientation models and the reading code. A change of rules or
  detectors re-uses it: no OCR.
- ``page/``: the whole page result (findings, thumbnail). Keyed by the reading key plus the
  screening code, the notice's version, the manifest, slot and file name. An unchanged
  packet is re-screened from these without decoding a page.

The cache is an optimisation: a failing cache is logged and screening goes on without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from pipeline.build import code_digest, digest, reading_digest
from pipeline.models import BBox, Frozen, TextLine

log = logging.getLogger(__name__)


class Cache(Protocol):
    def load(self, key: str) -> bytes | None: ...

    def save(self, key: str, data: bytes) -> None: ...


class MemoryCache:
    """A dict as a cache (tests, benchmarks, one-off runs)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def load(self, key: str) -> bytes | None:
        return self.data.get(key)

    def save(self, key: str, data: bytes) -> None:
        self.data[key] = data


class PageReading(Frozen):
    """The costly part of a page: its orientation and every line of text read."""

    rotation: int
    score: float
    lines: tuple[TextLine, ...]
    unread: tuple[BBox, ...] = ()  # where the detector found text the recogniser could not read


@dataclass(frozen=True)
class PageKeys:
    reading: str
    result: str


def page_keys(file_sha256: str, number: int, *, engine: str, options: str, context: str) -> PageKeys:
    """``engine`` names the OCR and orientation models; ``context`` digests everything else a
    page's findings depend on (manifest, slot, file name, notice version)."""
    reading = f"read/{file_sha256[:2]}/{file_sha256}/{number}-{digest(engine, options, reading_digest())}"
    result = f"page/{file_sha256[:2]}/{file_sha256}/{number}-{digest(reading, code_digest(), context)}"
    return PageKeys(reading=reading, result=result)


def load(cache: Cache | None, key: str) -> bytes | None:
    if cache is None:
        return None
    try:
        return cache.load(key)
    except Exception as exc:  # noqa: BLE001 - a cache miss, never a failed page
        log.warning("cache read %s failed: %s", key, exc)
        return None


def save(cache: Cache | None, key: str, data: bytes) -> None:
    if cache is None:
        return
    try:
        cache.save(key, data)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache write %s failed: %s", key, exc)
