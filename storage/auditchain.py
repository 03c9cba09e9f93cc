"""The audit log's hash chain: each entry stores the hash of the entry before it and its own.

An entry's hash covers the previous hash and everything the entry says (when, who, what, on
which application and report version, the detail). Removing, inserting or changing any row
breaks the chain at that row or the next, which ``prescreen audit verify`` reports. The
canonical form below is part of the stored data: changing it breaks every existing chain.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, limit: int | None = None) -> str:
    """Text as it may be stored: no NUL or other control characters (PostgreSQL refuses NUL in text)."""
    value = _CONTROL.sub("", value)
    return value[:limit] if limit is not None else value


def clean_detail(value: Any) -> Any:
    """A JSON value with every string cleaned, and exactly as it reads back from the database."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_detail(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_detail(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(str(value))


def entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    application_id: str | None,
    report_version: str | None,
    detail: dict[str, Any],
) -> str:
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps(
        [prev_hash, when, actor, action, application_id, report_version, detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
