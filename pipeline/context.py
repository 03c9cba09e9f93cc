"""The types every stage shares: what a check may know, how checks are declared, and the results.

Nothing here does any work; the stages live in ``reading`` (decode, orientation, text, measures),
``checks`` (detectors and packet rules), ``report`` and ``screen`` (the recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from pipeline.documents import ReadLimits
from pipeline.manifest import Manifest, Slot
from pipeline.models import CheckResult, DocumentInfo, Finding, FindingCode, Frozen, Page, PageInfo, Report, TextLine
from pipeline.rules import Notice

if TYPE_CHECKING:
    from pipeline.ocr import OcrEngine
    from pipeline.orientation import OrientationModel

C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True)
class PageContext:
    """What a detector may know besides the page: the applicant, the slot, the rules in force."""

    manifest: Manifest
    notice: Notice
    slot: Slot
    ocr: OcrEngine | None = None  # for detectors that read a region again (an unwrapped seal ring)

    def config_for(self, name: str, model: type[C]) -> C:
        return model.model_validate(self.notice.detector_config.get(name, {}))


Detector = Callable[[Page, PageContext], list[Finding]]


class PageResult(Frozen):
    """Everything the report needs from one page; no pixels but a small thumbnail."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    slot: Slot
    file: str
    info: PageInfo
    lines: tuple[TextLine, ...] = ()
    findings: tuple[Finding, ...] = ()
    thumbnail: bytes = b""
    fingerprint: str = ""  # perceptual fingerprint of the upright page (pipeline.fingerprint), for duplicates


class FileResult(Frozen):
    document: DocumentInfo
    pages: tuple[PageResult, ...] = ()
    findings: tuple[Finding, ...] = ()  # about the file as a whole


PacketCheck = Callable[[Manifest, Notice, list[FileResult]], CheckResult]


F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class CheckSpec(Generic[F]):
    """A check as the registry declares it: its name, the function, every finding code it may raise,
    and the config model it reads from ``detector_config:`` under ``key`` (its name, or a
    ``config_key`` that checks of one module share). The notice loader refuses a name or a config
    that matches no spec; a finding whose code is not declared is recorded as the check's fault."""

    name: str
    fn: F
    codes: frozenset[FindingCode]
    config: type[BaseModel] | None = None
    config_key: str = ""
    reads_text: bool | Callable[[PageContext], bool] = True  # whether it looks at the page's text (on this slot)

    @property
    def key(self) -> str:
        return self.config_key or self.name

    def needs_text(self, ctx: PageContext) -> bool:
        """Whether the check reads the text of a page on ``ctx.slot`` (a page no check reads text from
        need not be OCR'd)."""
        return self.reads_text(ctx) if callable(self.reads_text) else self.reads_text

    def __call__(self, *args: object) -> object:
        return self.fn(*args)


class DetectorSpec(CheckSpec[Detector]):
    """A page check, named under ``checks:`` in the rules files: ``(page, context) -> findings``."""


class RuleSpec(CheckSpec[PacketCheck]):
    """A packet-level rule: ``(manifest, notice, files) -> CheckResult``."""


@dataclass(frozen=True)
class Engines:
    """The models a page is read with. Picklable: each model is rebuilt once per process at the other end."""

    ocr: OcrEngine
    orientation: OrientationModel
    min_orientation_score: float = 0.5  # a turn the orientation model is less sure of is not applied

    @property
    def fingerprint(self) -> str:
        """Names, model files and parameters: everything of the engines that shapes a reading."""
        return "|".join(
            (
                getattr(self.ocr, "fingerprint", self.ocr.name),
                getattr(self.orientation, "fingerprint", self.orientation.name),
                f"min_orientation_score={self.min_orientation_score}",
            )
        )


class ScreenOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    limits: ReadLimits = ReadLimits()
    thumbnail_px: int = 1200
    thumbnail_quality: int = 70
    text_layer_min_chars: int = 10  # a text layer with fewer characters does not replace OCR
    text_layer_max_raster: float = 0.3  # ... nor does one on a page mostly covered by a scanned image
    read_unneeded_text: bool = False  # OCR a page no check reads text from even when the detector finds no text on it

    def reading_key(self) -> str:
        """Every option but those known not to change what is read off a page (a new option counts)."""
        return self.model_dump_json(exclude={"thumbnail_px": True, "thumbnail_quality": True, "limits": NOT_READING})


NOT_READING = {
    "max_pages",
    "max_pages_by_slot",
    "max_total_pages",
    "max_files",
    "max_manifest_bytes",
    "page_seconds",
    "packet_seconds",
}
"""``ReadLimits`` fields that decide which pages are read, or how long, never how a page is read."""


@dataclass
class ScreenResult:
    report: Report
    pages: list[PageResult] = field(default_factory=list)
    manifest: Manifest | None = None



def text_needed(ctx: PageContext, detectors: Mapping[str, DetectorSpec]) -> bool:
    """Whether any check the notice assigns to ``ctx.slot`` reads the page's text."""
    return any(spec.needs_text(ctx) for name in ctx.notice.checks_for(ctx.slot) if (spec := detectors.get(name)) is not None)
