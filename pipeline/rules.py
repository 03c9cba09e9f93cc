"""Rules as data: one YAML file per notice year, validated into models when loaded.

A later notice is a new file in ``pipeline/rules/`` (or a folder named by
``PRESCREEN_RULES_DIR``), never new code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import RulesError
from pipeline.labels import SLOT_LABELS
from pipeline.manifest import EducationLevel, EmployerType, Manifest, Slot, Track
from pipeline.models import FindingCode

EDUCATION_ORDER = list(EducationLevel)  # technical_secondary < ... < postdoc

RULES_DIR = Path(__file__).parent / "rules"
ALL_SLOTS = "*"


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmissionRules(_Rule):
    """The submission window and how often an applicant may submit, each notice in its own terms.

    The two notices count differently: 2025 limits submissions ("提交次数不得超过3次（含初次上报）",
    ``max_attempts``), 2024 limits returns ("被退回超过3次的，将无法再提交申请", ``max_returns``):
    after three returns a fourth submission is still allowed, the fifth is not.
    """

    opens: datetime | None = None
    deadline: datetime | None = None
    resubmit_within_hours: float = Field(48, gt=0)
    max_attempts: int | None = Field(None, ge=1, description="submissions allowed, the first included")
    max_returns: int | None = Field(None, ge=0, description="returns after which no further submission is accepted")
    attempts_rule: str = Field("", description="the notice's own words for the limit, quoted in findings")

    @field_validator("opens", "deadline")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. +08:00")
        return value

    @model_validator(mode="after")
    def _one_limit(self) -> SubmissionRules:
        if self.max_attempts is not None and self.max_returns is not None:
            raise ValueError("give max_attempts or max_returns, not both")
        if self.opens and self.deadline and self.opens >= self.deadline:
            raise ValueError("opens must be before deadline")
        return self

    @property
    def attempts_allowed(self) -> int | None:
        """The last submission number still accepted (``attempt`` counts the first upload as 1)."""
        if self.max_returns is not None:
            return self.max_returns + 1  # n returns leave submission n + 1 allowed
        return self.max_attempts


class Requirement(_Rule):
    """When a slot is required; every condition given must hold (an empty one: always)."""

    tracks: tuple[Track, ...] | None = None
    tracks_except: tuple[Track, ...] = ()
    education_at_least: EducationLevel | None = None
    foreign_education: bool | None = None
    teacher: bool | None = None
    employer_types: tuple[EmployerType, ...] | None = None
    alternatives: tuple[Slot, ...] = ()

    def applies(self, m: Manifest) -> bool:
        a = m.applicant
        return (
            (self.tracks is None or m.track in self.tracks)
            and m.track not in self.tracks_except
            and (self.education_at_least is None or EDUCATION_ORDER.index(a.education.level) >= EDUCATION_ORDER.index(self.education_at_least))
            and (self.foreign_education is None or a.education.foreign == self.foreign_education)
            and (self.teacher is None or a.teacher == self.teacher)
            and (self.employer_types is None or a.employer_type in self.employer_types)
        )


class TrackRules(_Rule):
    education_in: tuple[EducationLevel, ...] | None = None
    full_time: bool = False
    township_unit: bool = False
    years: int | None = Field(None, ge=0)
    years_by_education: dict[EducationLevel, int] = Field(default_factory=dict)
    current_title_required: bool = False
    appraisal_years: int | None = Field(None, ge=1)
    min_rating: Literal["优秀", "合格", "基本合格"] = "合格"
    appraisal_years_after_title: bool = Field(
        False, description="a required appraisal year counts only if the current title was obtained before it ended"
    )
    appraisal_form: str | None = Field(None, description="the form the notice names for the appraisals, for messages")

    def required_years(self, level: EducationLevel) -> int | None:
        return self.years_by_education.get(level, self.years)

    def appraisal_year_count(self, level: EducationLevel) -> int:
        return self.appraisal_years or self.required_years(level) or 1


class CrossChecks(_Rule):
    """Checks across documents, each on readings already made (no page is read again)."""

    holder_slots: tuple[Slot, ...] = Field(
        (), description="NAME_MISMATCH: materials whose holder's name is compared with the applicant's (none where names are masked)"
    )
    id_validity: bool = True  # ID_EXPIRED
    duplicates: bool = True  # DUPLICATE_UPLOAD
    dates: bool = True  # DATE_INCONSISTENT


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    short: str = ""
    published: date
    tracks: tuple[Track, ...] = Field(min_length=1)
    submission: SubmissionRules = SubmissionRules()
    publicity_min_working_days: int = Field(5, ge=1)
    work_summary_chars: tuple[int, int] | None = None
    masking_required: bool = False
    required: dict[Slot, Requirement] = Field(default_factory=dict)
    track_rules: dict[Track, TrackRules] = Field(default_factory=dict)
    clauses: dict[str, str] = Field(default_factory=dict, description="rule -> the clause of the notice it comes from")
    material_clauses: dict[Slot, str] = Field(
        default_factory=dict, description="slot -> the clause that asks for that material (else clauses.materials)"
    )
    material_names: dict[Slot, str] = Field(
        default_factory=dict, description="slot -> the material's official name in this notice, where it has one"
    )
    cross_checks: CrossChecks = Field(default_factory=lambda: CrossChecks())
    subsumes: dict[FindingCode, tuple[FindingCode, ...]] = Field(
        default_factory=dict,
        description="a finding of the key code also covers findings of these codes located inside its box",
    )
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

    @model_validator(mode="after")
    def _rules_for_every_track(self) -> Notice:
        missing = [t.value for t in self.tracks if t not in self.track_rules]
        if missing:
            raise ValueError(f"track_rules missing for {missing}")
        return self

    def required_slots(self, m: Manifest) -> dict[Slot, Requirement]:
        return {slot: req for slot, req in self.required.items() if req.applies(m)}

    def cite(self, rule: str) -> str:
        """（依据《通知》条款）: the notice and clause a finding's rule comes from."""
        clause = self.clauses.get(rule, "")
        return f"（依据《{self.short or self.title}》{clause}）"

    def cite_material(self, slot: Slot) -> str:
        """（依据《通知》条款）of the clause that asks for ``slot``'s material."""
        clause = self.material_clauses.get(slot) or self.clauses.get("materials", "")
        return f"（依据《{self.short or self.title}》{clause}）"

    def material_name(self, slot: Slot) -> str:
        return self.material_names.get(slot) or SLOT_LABELS[slot]

    def rules_for(self, track: Track) -> TrackRules:
        return self.track_rules[track]

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


class DeclaredCheck(Protocol):
    """What the loader needs of a check's spec (``pipeline.context.DetectorSpec`` / ``RuleSpec``)."""

    name: str
    key: str  # the detector_config entry it reads
    config: type[BaseModel] | None


def load_rules(
    rules_dir: Path = RULES_DIR, checks: Mapping[str, DeclaredCheck] | None = None, rules: Iterable[DeclaredCheck] = ()
) -> dict[Track, Notice]:
    """Every notice in ``rules_dir``, by the track it governs; two notices for one track is an error.

    Given the page checks (and packet rules) in use, each file's ``checks:`` and
    ``detector_config:`` are checked against them: an unknown name, or a config its model does not
    accept, is a ``RulesError`` naming the file and the key, before anything is screened."""
    by_track, files = _load_dir(rules_dir)
    if checks is not None:
        for name, notice in files:
            check_names(notice, name, checks, tuple(rules))
    return by_track


def check_names(notice: Notice, file: str, checks: Mapping[str, DeclaredCheck], rules: tuple[DeclaredCheck, ...] = ()) -> None:
    for name in notice.checks:
        if name not in checks:
            raise RulesError(f"rules file {file}: checks.{name}: no such check (known: {', '.join(sorted(checks))})")
    models: dict[str, type[BaseModel]] = {}
    for spec in (*checks.values(), *rules):
        if spec.config is not None:
            models[spec.key] = spec.config
    for key, value in notice.detector_config.items():
        model = models.get(key)
        if model is None:
            raise RulesError(f"rules file {file}: detector_config.{key}: no check reads it (known: {', '.join(sorted(models))})")
        try:
            model.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RulesError(f"rules file {file}: detector_config.{key}{'.' + where if where else ''}: {first['msg']}") from None


@lru_cache(maxsize=8)
def _load_dir(rules_dir: Path) -> tuple[dict[Track, Notice], tuple[tuple[str, Notice], ...]]:
    by_track: dict[Track, Notice] = {}
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise RulesError(f"no rules files in {rules_dir}")
    loaded = []
    for path in files:
        notice = load_notice(path)
        loaded.append((path.name, notice))
        for track in notice.tracks:
            if track in by_track:
                raise RulesError(f"track {track.value} is governed by both {by_track[track].id} and {notice.id}")
            by_track[track] = notice
    missing = [t.value for t in Track if t not in by_track]
    if missing:
        raise RulesError(f"no rules for track(s) {', '.join(missing)} in {rules_dir}")
    return by_track, tuple(loaded)
