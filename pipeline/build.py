"""What a report was made by: digests of the code and data that decide its findings.

A change to any of them is a reason to screen a packet again (the nightly run compares them
with the digests recorded in the packet's last report), and part of every cache key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
READING_MODULES = ("pipeline/documents.py", "pipeline/ocr.py", "pipeline/orientation.py", "pipeline/facefind.py")
"""The code between a file's bytes and the text read off a page (the costly, cacheable part)."""


def digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _files_digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(_ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The screening code and its data files (``pipeline/``, ``detectors/``); rules are versioned apart."""
    files = [
        p
        for pkg in ("pipeline", "detectors")
        for p in (_ROOT / pkg).rglob("*")
        if p.is_file() and p.suffix in (".py", ".yaml", ".j2") and "rules" not in p.parts
    ]
    return _files_digest(files)


@lru_cache(maxsize=1)
def reading_digest() -> str:
    return _files_digest(_ROOT / m for m in READING_MODULES)
