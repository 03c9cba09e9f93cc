"""The packet manifest (CONTRACT §1): typed models and a loader that refuses bad input in one line."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import InputError

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")


class Slot(StrEnum):
    id_card_portrait = "id_card_portrait"
    id_card_emblem = "id_card_emblem"
    photo = "photo"
    diploma = "diploma"
    degree_certificate = "degree_certificate"
    foreign_degree_certification = "foreign_degree_certification"
    postdoc_certificate = "postdoc_certificate"
    title_certificate = "title_certificate"
    ce_certificate = "ce_certificate"
    ce_exemption = "ce_exemption"
    annual_appraisal = "annual_appraisal"
    work_summary = "work_summary"
    promise_letter = "promise_letter"
    unit_publicity = "unit_publicity"
    publicity_result = "publicity_result"
    recommendation_report = "recommendation_report"
    supervisor_opinion = "supervisor_opinion"
    vacancy_statement = "vacancy_statement"
    teacher_qualification = "teacher_qualification"
    mandarin_certificate = "mandarin_certificate"


class Track(StrEnum):
    review = "review"
    initial_junior = "initial_junior"
    initial_intermediate = "initial_intermediate"
    grant_intermediate = "grant_intermediate"
    grant_associate_senior = "grant_associate_senior"
    grant_senior = "grant_senior"
    fhj_three_year = "fhj_three_year"


class EmployerType(StrEnum):
    public_institution = "public_institution"
    state_owned = "state_owned"
    private = "private"


class EducationLevel(StrEnum):
    technical_secondary = "technical_secondary"
    junior_college = "junior_college"
    bachelor = "bachelor"
    master = "master"
    doctor = "doctor"
    postdoc = "postdoc"


class TitleLevel(StrEnum):
    junior = "junior"
    intermediate = "intermediate"
    associate_senior = "associate_senior"
    senior = "senior"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)


EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def _plausible(value: date) -> date:
    """A date an application can hold: a year from 9999 or 1 cannot be compared with another in
    Beijing time, and is a typing error in any case."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"date {value.isoformat()} is not between {EARLIEST.year} and {LATEST.year}")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
Moment = Annotated[datetime, AfterValidator(_plausible)]


def visible_text(value: str) -> str:
    """A name as it is seen: invisible format characters (zero-width spaces and joiners, direction
    marks and overrides) and the spaces around it removed; a name that is nothing else is refused,
    since no page could be searched for it."""
    text = "".join(ch for ch in value if unicodedata.category(ch) != "Cf").strip()
    if not text:
        raise ValueError("has no visible characters")
    return text


Visible = Annotated[str, AfterValidator(visible_text)]


class Education(_Model):
    level: EducationLevel
    full_time: bool = True
    foreign: bool = False
    graduated_on: Day | None = None


class CurrentTitle(_Model):
    level: TitleLevel
    obtained_on: Day | None = None


class Applicant(_Model):
    name: Visible = Field(min_length=1, max_length=64)
    employer: Visible = Field(min_length=1, max_length=128)
    employer_type: EmployerType
    series: str | None = None
    teacher: bool = False
    township_unit: bool = False
    education: Education
    work_started_on: Day | None = None
    current_title: CurrentTitle | None = None


CHINA_TZ = timezone(timedelta(hours=8))


class Submission(_Model):
    submitted_at: Moment
    attempt: int = Field(default=1, ge=1)
    returned_at: Moment | None = None

    @field_validator("submitted_at", "returned_at")
    @classmethod
    def _beijing_time_if_naive(cls, value: datetime | None) -> datetime | None:
        """The platform runs on Beijing time: a time without a zone is read as +08:00."""
        return value.replace(tzinfo=CHINA_TZ) if value is not None and value.tzinfo is None else value


class Material(_Model):
    slot: Slot
    files: tuple[str, ...] = ()

    @field_validator("files")
    @classmethod
    def _paths_stay_inside(cls, files: tuple[str, ...]) -> tuple[str, ...]:
        for f in files:
            check_relative_path(f)
        return files


class Manifest(_Model):
    application_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    track: Track
    applicant: Applicant
    submission: Submission
    materials: tuple[Material, ...] = ()

    def files(self) -> list[tuple[Slot, str]]:
        """Every (slot, file) pair in upload order."""
        return [(m.slot, f) for m in self.materials for f in m.files]

    def slot_files(self, slot: Slot) -> list[str]:
        return [f for m in self.materials if m.slot == slot for f in m.files]


def check_relative_path(path: str) -> str:
    """Refuse a manifest path that is absolute or climbs out of the packet."""
    if not path or "\x00" in path:
        raise ValueError("empty file path")
    p = PurePosixPath(path.replace("\\", "/"))
    if p.is_absolute() or (len(path) > 1 and path[1] == ":") or ".." in p.parts:
        raise ValueError(f"file path escapes the packet: {path!r}")
    return path


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader (the same types as ``yaml.safe_load``) where PyYAML has it: ten times faster,
and re-screening an unchanged packet from the cache is mostly parsing its manifest."""


def parse_manifest(text: str, *, source: str = "manifest") -> Manifest:
    """Parse YAML or JSON manifest text into a validated ``Manifest``; ``InputError`` in one line otherwise."""
    try:
        data = json.loads(text) if source.endswith(".json") else yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping at the top level")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
