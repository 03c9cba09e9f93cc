"""Which packets the nightly run screens again, and why.

A packet is selected when it has no report yet, when any of its objects (manifest or files)
changed after its latest report was written, when the rules in force for its track or the
screening engine differ from those its report records, or when it still awaits review.
Times are compared on the store's own clock (object modification times), never a worker's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum

from pydantic import BaseModel

from pipeline.manifest import MANIFEST_NAMES
from pipeline.models import EngineInfo
from storage.objectstore import ObjectInfo, ObjectStore, join
from storage.reports import latest_pointer


class Reason(StrEnum):
    new = "new"
    inputs = "inputs_changed"
    rules = "rules_changed"
    engine = "engine_changed"
    unregistered = "not_in_review_queue"
    awaiting_review = "awaiting_review"


class Selected(BaseModel):
    prefix: str
    reason: Reason


def packet_prefixes(store: ObjectStore, packets_prefix: str) -> Iterator[tuple[str, list[ObjectInfo]]]:
    """Each packet folder under ``packets_prefix`` with its objects (reports and cache left out)."""
    base = packets_prefix.strip("/") + "/" if packets_prefix.strip("/") else ""
    groups: dict[str, list[ObjectInfo]] = {}
    for info in store.list(base):
        rest = info.key[len(base) :]
        folder = rest.split("/", 1)[0]
        if "/" not in rest or folder in ("cache",):
            continue
        groups.setdefault(join(base, folder), []).append(info)
    for prefix, infos in groups.items():
        if any(i.key == join(prefix, name) for i in infos for name in MANIFEST_NAMES):
            yield prefix, infos


def select(
    store: ObjectStore,
    packets_prefix: str,
    current: Callable[[str], EngineInfo | None],
    awaiting: Iterable[str] = (),
    registered: Iterable[str] | None = None,
) -> list[Selected]:
    """``current(track)`` is the engine info a report made now would carry (None: unknown track).
    ``registered``: prefixes the review database knows (a report that never reached it is redone)."""
    awaiting = set(awaiting)
    known = set(registered) if registered is not None else None
    selected = []
    for prefix, infos in packet_prefixes(store, packets_prefix):
        reason = _reason(store, prefix, infos, current, prefix in awaiting)
        if reason is None and known is not None and prefix not in known:
            reason = Reason.unregistered
        if reason is not None:
            selected.append(Selected(prefix=prefix, reason=reason))
    return selected


def _reason(
    store: ObjectStore, prefix: str, infos: list[ObjectInfo], current: Callable[[str], EngineInfo | None], awaiting: bool
) -> Reason | None:
    pointer_key = join(prefix, "reports", "latest.json")
    pointer_info = next((i for i in infos if i.key == pointer_key), None)
    pointer = latest_pointer(store, prefix) if pointer_info else None
    if pointer is None or pointer_info is None:
        return Reason.new
    reports = join(prefix, "reports") + "/"
    inputs = [i for i in infos if not i.key.startswith(reports)]
    if pointer_info.modified and any(i.modified and i.modified > pointer_info.modified for i in inputs):
        return Reason.inputs
    recorded = EngineInfo.model_validate(pointer["engine"]) if "engine" in pointer else None
    track = _track(store, pointer)
    now = current(track) if track else None
    if recorded is None or now is None:
        return Reason.engine
    if recorded.rules != now.rules:
        return Reason.rules
    if recorded.model_dump(exclude={"rules"}) != now.model_dump(exclude={"rules"}):
        return Reason.engine
    return Reason.awaiting_review if awaiting else None


def _track(store: ObjectStore, pointer: dict) -> str | None:
    if "track" in pointer:
        return pointer["track"]
    import json

    try:
        return json.loads(store.get(pointer["report"])).get("track")
    except Exception:  # noqa: BLE001 - an unreadable old report: screen again
        return None
