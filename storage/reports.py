"""Reports are written as new versions next to the packet and never overwritten.

Layout under the packet prefix::

    reports/<version>/report.json
    reports/<version>/report.html
    reports/<version>/evidence/<n>-<code>.jpg
    reports/latest.json          # pointer, written last

Everything of a version is written before the pointer moves, so a reader following
``latest.json`` sees the previous complete report until the new one is complete.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from pipeline.models import Report
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
) -> str:
    """Write a complete new report version, then point ``latest.json`` at it. Returns the version."""
    version = version or new_version(report.generated_at)
    base = join(prefix, "reports", version)
    for name, data in (evidence or {}).items():
        store.put(join(base, "evidence", name), data, "image/jpeg")
    store.put(join(base, "report.html"), html.encode("utf-8"), "text/html; charset=utf-8")
    store.put(join(base, "report.json"), report.to_json().encode("utf-8"), "application/json")
    pointer = {
        "version": version,
        "report": join(base, "report.json"),
        "html": join(base, "report.html"),
        "recommendation": report.recommendation.value,
        "generated_at": report.generated_at.isoformat(),
    }
    store.put(join(prefix, "reports", "latest.json"), json.dumps(pointer, ensure_ascii=False).encode(), "application/json")
    return version


def latest_report(store: ObjectStore, prefix: str) -> Report | None:
    pointer = store.stat(join(prefix, "reports", "latest.json"))
    if pointer is None:
        return None
    ref = json.loads(store.get(join(prefix, "reports", "latest.json")))
    return Report.model_validate_json(store.get(ref["report"]))


def report_versions(store: ObjectStore, prefix: str) -> list[str]:
    base = join(prefix, "reports") + "/"
    return sorted({o.key[len(base) :].split("/")[0] for o in store.list(base) if o.key.endswith("/report.json")})
