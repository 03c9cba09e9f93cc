"""Reports are written as new versions next to the packet and never overwritten.

Layout under the packet prefix::

    reports/<version>/report.json
    reports/<version>/report.html
    reports/<version>/evidence/<n>-<code>.jpg
    reports/<version>/pages/<document index>-<page>.jpg
    reports/latest.json          # pointer, written last

Everything of a version is written before the pointer moves, so a reader following
``latest.json`` sees the previous complete report until the new one is complete.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from pipeline.html import evidence_images, page_images, render_html
from pipeline.models import Report
from pipeline.context import ScreenResult
from storage.objectstore import ObjectStore, join


def new_version(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"


def publish_report(
    store: ObjectStore,
    prefix: str,
    report: Report,
    html: str,
    evidence: dict[str, bytes] | None = None,
    version: str | None = None,
    pages: dict[str, bytes] | None = None,
) -> str:
    """Write a complete new report version, then point ``latest.json`` at it. Returns the version."""
    version = version or new_version(report.generated_at)
    base = join(prefix, "reports", version)
    written: list[str] = []

    def put(key: str, data: bytes, content_type: str) -> None:
        written.append(key)
        store.put(key, data, content_type)

    try:
        for folder, images in (("evidence", evidence), ("pages", pages)):
            for name, data in (images or {}).items():
                put(join(base, folder, name), data, "image/jpeg")
        put(join(base, "report.html"), html.encode("utf-8"), "text/html; charset=utf-8")
        put(join(base, "report.json"), report.to_json().encode("utf-8"), "application/json")  # last: marks it complete
    except Exception:
        _remove_quietly(store, written)  # a half-written version is never left behind if the store allows
        raise
    pointer = {
        "version": version,
        "report": join(base, "report.json"),
        "html": join(base, "report.html"),
        "recommendation": report.recommendation.value,
        "generated_at": report.generated_at.isoformat(),
        "engine": report.engine.model_dump(),
        "track": report.track.value,
    }
    store.put(join(prefix, "reports", "latest.json"), json.dumps(pointer, ensure_ascii=False).encode(), "application/json")
    return version


def _remove_quietly(store: ObjectStore, keys: list[str]) -> None:
    for key in reversed(keys):
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 - the store is failing; the version stays invisible (no report.json, no pointer)
            return


def latest_pointer(store: ObjectStore, prefix: str) -> dict | None:
    key = join(prefix, "reports", "latest.json")
    if store.stat(key) is None:
        return None
    return json.loads(store.get(key))


def latest_report(store: ObjectStore, prefix: str) -> Report | None:
    ref = latest_pointer(store, prefix)
    return Report.model_validate_json(store.get(ref["report"])) if ref else None


def read_report(store: ObjectStore, prefix: str, version: str) -> Report:
    return Report.model_validate_json(store.get(join(prefix, "reports", version, "report.json")))


def report_image(store: ObjectStore, prefix: str, version: str, folder: str, name: str) -> bytes:
    """One published image of a report version (``folder`` is ``pages`` or ``evidence``)."""
    if folder not in ("pages", "evidence") or "/" in name or name.startswith("."):
        raise ValueError(f"no such report image {folder}/{name}")
    return store.get(join(prefix, "reports", version, folder, name))


def same_findings(a: Report, b: Report) -> bool:
    """Whether two reports say the same (everything but the time they were made)."""
    return a.model_dump(exclude={"generated_at"}) == b.model_dump(exclude={"generated_at"})


def report_versions(store: ObjectStore, prefix: str) -> list[str]:
    base = join(prefix, "reports") + "/"
    return sorted({o.key[len(base) :].split("/")[0] for o in store.list(base) if o.key.endswith("/report.json")})


class Published(BaseModel):
    version: str
    new: bool  # False: the report says what the latest one already said, and nothing was written


def publish_result(store: ObjectStore, prefix: str, result: ScreenResult) -> Published:
    """Publish a screening's report with its HTML, page images and evidence crops, unless the
    latest version already says exactly the same (a re-screen that changed nothing writes nothing)."""
    pointer = latest_pointer(store, prefix)
    if pointer and same_findings(read_report(store, prefix, pointer["version"]), result.report):
        return Published(version=pointer["version"], new=False)
    html = render_html(result.report, result.pages)
    evidence, pages = evidence_images(result.report, result.pages), page_images(result.report, result.pages)
    return Published(version=publish_report(store, prefix, result.report, html, evidence, pages=pages), new=True)
