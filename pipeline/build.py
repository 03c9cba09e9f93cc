"""What a report was made by: digests of the code and data that decide its findings.

A change to any of them is a reason to screen a packet again (the nightly run compares them
with the digests recorded in the packet's last report), and part of every cache key.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _files_digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update((path.relative_to(_ROOT).as_posix() if path.is_relative_to(_ROOT) else path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def files_digest(paths: Iterable[Path]) -> str:
    """Digest of the files' names and bytes (model files, data files)."""
    return _files_digest(Path(p).resolve() for p in paths)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The screening code and its data files (``pipeline/``, ``detectors/``); rules are versioned apart."""
    files = [
        p
        for pkg in ("pipeline", "detectors")
        for p in (_ROOT / pkg).rglob("*")
        if p.is_file() and p.suffix in (".py", ".yaml", ".j2", ".json") and "rules" not in p.parts
    ]
    return _files_digest(files)


def source_files(*objects: object) -> frozenset[Path]:
    """The source files of the modules that define ``objects`` (functions, classes or instances)."""
    files = set()
    for obj in objects:
        module = sys.modules[obj.__module__ if hasattr(obj, "__qualname__") else type(obj).__module__]
        path = inspect.getsourcefile(module)
        if path:
            files.add(Path(path).resolve())
    return frozenset(files)


@lru_cache(maxsize=32)
def sources_digest(files: frozenset[Path]) -> str:
    """Digest of source files, read once per process (code does not change under a running process)."""
    return _files_digest(files)
