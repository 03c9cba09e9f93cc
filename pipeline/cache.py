"""Per-page results cached by content hash plus everything that shapes them.

Two levels, so that each change costs only what it must:

- ``read/``: what was read off a page (rotation, text lines). Keyed by the file's SHA-256, the
  page number, the engines' fingerprints (names, versions, model files, parameters), every
  option that can change a reading, and the source of the modules the reading runs through
  (found from the functions themselves, wherever they live). A change of rules or detectors
  re-uses it: no OCR.
- ``page/``: the whole page result (findings, thumbnail). Keyed by the reading key plus the
  screening code, the checks in use, all options, the notice's version, the manifest, slot and
  file name. An unchanged packet is re-screened from these without decoding a page.

The cache is an optimisation: a failing cache is logged and screening goes on without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from pipeline.build import code_digest, digest, source_files, sources_digest
from pipeline.manifest import Slot
from pipeline.models import BBox, Frozen, TextLine

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pipeline.context import DetectorSpec, Engines, PageContext, ScreenOptions
    from pipeline.documents import Document

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


def page_keys(file_sha256: str, number: int, *, reading: str, result: str) -> PageKeys:
    """``reading`` digests what shapes a reading; ``result`` what else shapes a page's findings."""
    reading_key = f"read/{file_sha256[:2]}/{file_sha256}/{number}-{digest(reading)}"
    result_key = f"page/{file_sha256[:2]}/{file_sha256}/{number}-{digest(reading_key, result)}"
    return PageKeys(reading=reading_key, result=result_key)


@lru_cache(maxsize=1)
def reading_code() -> str:
    """The source of every module a reading runs through: decoding, the reading stage, its result types."""
    from pipeline import reading
    from pipeline.documents import Document
    from pipeline.facefind import upright_turn
    from pipeline.orientation import turn

    return sources_digest(source_files(reading.read_page, Document, turn, upright_turn, PageReading, TextLine))


def page_keys_for(
    doc: Document,
    number: int,
    ctx: PageContext,
    engines: Engines,
    options: ScreenOptions,
    detectors: Mapping[str, DetectorSpec],
) -> PageKeys:
    from pipeline.context import text_needed

    return page_keys(
        doc.sha256,
        number,
        reading=digest(
            engines.fingerprint,
            options.reading_key(),
            reading_code(),
            "photo" if ctx.slot is Slot.photo else "",  # a photo is turned by its face
            "text" if text_needed(ctx, detectors) else "text if found",  # whether any check on the slot reads text
        ),
        result=digest(
            code_digest(),
            checks_fingerprint(detectors),
            options.model_dump_json(),
            ctx.manifest.model_dump_json(),
            ctx.slot,
            doc.name,
            ctx.notice.version,
        ),
    )


def checks_fingerprint(detectors: Mapping[str, DetectorSpec]) -> str:
    """Which function runs under each check name, and what it declares."""
    return digest(
        *(
            f"{name}={getattr(s.fn, '__module__', '')}.{getattr(s.fn, '__qualname__', repr(s.fn))}"
            f":{sorted(s.codes)}:{s.key}"
            for name, s in sorted(detectors.items())
        )
    )


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
