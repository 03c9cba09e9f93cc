"""Rules as data: one YAML file per notice year, validated into models when loaded.

A later notice is a new file in ``pipeline/rules/`` (or a folder named by
``PRESCREEN_RULES_DIR``), never new code.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import RulesError
from pipeline.manifest import Slot, Track

RULES_DIR = Path(__file__).parent / "rules"
ALL_SLOTS = "*"


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    published: date
    tracks: tuple[Track, ...] = Field(min_length=1)
    checks: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="page detector -> slots it runs on ('*' = every slot)"
    )
    detector_config: dict[str, dict[str, Any]] = Field(default_factory=dict)
    version: str = ""

    @field_validator("checks")
    @classmethod
    def _known_slots(cls, checks: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        known = {s.value for s in Slot} | {ALL_SLOTS}
        for name, slots in checks.items():
            bad = [s for s in slots if s not in known]
            if bad:
                raise ValueError(f"check {name!r} names unknown slot(s) {bad}")
        return checks

    def checks_for(self, slot: Slot) -> frozenset[str]:
        return frozenset(name for name, slots in self.checks.items() if ALL_SLOTS in slots or slot.value in slots)


def load_notice(path: Path) -> Notice:
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"rules file {path.name}: cannot be read ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise RulesError(f"rules file {path.name}: expected a mapping")
    data.setdefault("version", f"{data.get('id', path.stem)}@{hashlib.sha256(raw).hexdigest()[:12]}")
    try:
        return Notice.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise RulesError(f"rules file {path.name}: {where}: {first['msg']}") from None


@lru_cache(maxsize=8)
def load_rules(rules_dir: Path = RULES_DIR) -> dict[Track, Notice]:
    """Every notice in ``rules_dir``, by the track it governs; two notices for one track is an error."""
    by_track: dict[Track, Notice] = {}
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise RulesError(f"no rules files in {rules_dir}")
    for path in files:
        notice = load_notice(path)
        for track in notice.tracks:
            if track in by_track:
                raise RulesError(f"track {track.value} is governed by both {by_track[track].id} and {notice.id}")
            by_track[track] = notice
    missing = [t.value for t in Track if t not in by_track]
    if missing:
        raise RulesError(f"no rules for track(s) {', '.join(missing)} in {rules_dir}")
    return by_track
