"""Small builders for packet-level tests: files whose pages carry given text lines (no OCR)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.manifest import Manifest, Slot, parse_manifest
from pipeline.models import DocumentInfo, PageInfo, TextLine
from pipeline.screen import FileResult, PageResult
from prescreen.samples import PacketBuilder


def text_file(slot: str, file: str, *pages: list[str]) -> FileResult:
    """A readable file whose page n holds the given lines, top to bottom."""
    results = []
    for n, lines in enumerate(pages, start=1):
        tl = tuple(
            TextLine(text=t, bbox=(0.1, 0.05 + 0.04 * i, 0.9, 0.08 + 0.04 * i), confidence=0.99) for i, t in enumerate(lines)
        )
        results.append(PageResult(slot=Slot(slot), file=file, info=PageInfo(page=n), lines=tl))
    info = DocumentInfo(slot=Slot(slot), file=file, format="pdf", page_count=len(pages), pages=tuple(p.info for p in results))
    return FileResult(document=info, pages=tuple(results))


def manifest(track: str = "review", materials: dict[str, list[str]] | None = None, **changes) -> Manifest:
    b = PacketBuilder(Path("/nonexistent"), track=track)
    data = b.manifest()
    data["materials"] = [{"slot": s, "files": f} for s, f in (materials or {}).items()]
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = dict(data[section])
            if "." in field:
                a, b_ = field.split(".")
                data[section][a] = dict(data[section][a]) | {b_: value}
            else:
                data[section][field] = value
        else:
            data[section] = value
    return parse_manifest(json.dumps(data, ensure_ascii=False, default=str))
