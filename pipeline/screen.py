"""The recipe: open every upload, screen every page, then the packet rules and the report.

There is one recipe however it runs. ``screen_packet`` takes the executor: a ``map`` of a step
over its jobs, a plain loop (``serial``, what the command line runs), a thread pool
(``threads``), a Dask cluster (``dask``), or Prefect tasks (``flows/`` passes Prefect's submit).
The two steps, ``open_upload`` and ``screen_upload_page``, are module-level functions of one
picklable job, so either can run in another process: the models travel as references and are
loaded once per process; the upload is opened once per process and shared by its pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from pipeline.cache import Cache, PageKeys, PageReading, page_keys_for
from pipeline.cache import load as cache_load
from pipeline.cache import save as cache_save
from pipeline.checks import check_packet, detect_page
from pipeline.context import (
    DetectorSpec,
    Engines,
    FileResult,
    PageContext,
    PageResult,
    RuleSpec,
    ScreenOptions,
    ScreenResult,
    text_needed,
)
from pipeline.documents import Document, ReadLimits, SourcePage
from pipeline.errors import UnreadableFileError
from pipeline.manifest import Manifest, Slot
from pipeline.models import Finding, FindingCode, Frozen
from pipeline.packet import FileSource, Packet
from pipeline.reading import DOCUMENTS, document, file_findings, prepare_page, read_page, too_many_pages, unreadable
from pipeline.report import build_report, engine_info, failed_page, file_result, page_result
from pipeline.rules import Notice

log = logging.getLogger(__name__)
J = TypeVar("J")
R = TypeVar("R")
Map = Callable[[Callable[[J], R], Sequence[J]], list[R]]
"""An executor: runs a step over every job and returns the results in the jobs' order."""


# ---------------------------------------------------------------- executors


def serial(step: Callable[[J], R], jobs: Sequence[J]) -> list[R]:
    """A plain loop in this thread."""
    return [step(job) for job in jobs]


def threads(n: int) -> Map:
    """``n`` threads of this process (the models serialise their own calls; decoding and checks overlap)."""

    def run(step: Callable[[J], R], jobs: Sequence[J]) -> list[R]:
        if n <= 1 or len(jobs) <= 1:
            return serial(step, jobs)
        with ThreadPoolExecutor(n, thread_name_prefix="page") as pool:
            return list(pool.map(step, jobs))

    return run


def dask(client: Any) -> Map:
    """The workers of a Dask cluster (``distributed.Client``); jobs are pickled to them."""

    def run(step: Callable[[J], R], jobs: Sequence[J]) -> list[R]:
        return client.gather(client.map(step, list(jobs), pure=False)) if jobs else []

    return run


# ---------------------------------------------------------------- jobs


@dataclass(frozen=True, eq=False)
class Screening:
    """One packet's screening as each step sees it: where its files are, the rules, the models,
    the checks, the options. Picklable, so a step can run in another process."""

    source: FileSource
    manifest: Manifest
    notice: Notice
    engines: Engines
    detectors: Mapping[str, DetectorSpec]
    options: ScreenOptions
    cache: Cache | None = None
    deadline: float | None = None  # time.time() after which no page is started

    def context(self, slot: Slot) -> PageContext:
        return PageContext(self.manifest, self.notice, slot, ocr=self.engines.ocr)

    def keys(self, doc: Document, number: int, slot: Slot) -> PageKeys | None:
        if self.cache is None:
            return None
        return page_keys_for(doc, number, PageContext(self.manifest, self.notice, slot), self.engines, self.options, self.detectors)


@dataclass(frozen=True)
class FileJob:
    screening: Screening
    slot: Slot
    file: str
    pages: int  # at most this many pages of the file can be read (its own and its slot's limit)


class OpenedFile(Frozen):
    """An opened upload: what it is, what it says of itself, and its pages already in the cache."""

    slot: Slot
    file: str
    sha256: str | None = None
    format: str | None = None
    page_count: int | None = None
    findings: tuple[Finding, ...] = ()
    cached: dict[int, PageResult] = {}


@dataclass(frozen=True)
class PageJob:
    screening: Screening
    slot: Slot
    file: str
    sha256: str
    number: int

    def failed(self, exc: BaseException) -> PageResult:
        """The page, when its step failed for good for a reason of its own (a time-out)."""
        return failed_page(self.slot, self.file, self.number, exc)


# ---------------------------------------------------------------- steps


def open_upload(job: FileJob) -> OpenedFile:
    """Open one upload: an unreadable one is a finding; otherwise its format, pages, file-level
    findings and the pages an earlier screening with the same bytes, code and rules left in the cache."""
    s, limits = job.screening, job.screening.options.limits
    try:
        doc = Document(s.source.read(job.file, limits.max_file_bytes), job.file, limits)
    except UnreadableFileError as exc:
        return OpenedFile(slot=job.slot, file=job.file, findings=(unreadable(job.slot, job.file, exc),))
    DOCUMENTS.put((s.source.describe(), job.file, doc.sha256), doc)  # its pages, in this process, need not read it again
    cached: dict[int, PageResult] = {}
    for n in range(1, min(doc.page_count, job.pages) + 1):
        keys = s.keys(doc, n, job.slot)
        if keys and (hit := cached_page(s.cache, keys)) is not None:
            cached[n] = hit
    return OpenedFile(
        slot=job.slot,
        file=job.file,
        sha256=doc.sha256,
        format=doc.format.value,
        page_count=doc.page_count,
        findings=tuple(file_findings(doc, job.slot, job.file, limits)),
        cached=cached,
    )


def screen_upload_page(job: PageJob) -> PageResult:
    """Screen one page of an opened upload; a failure of the page is recorded on it, not raised
    (a store that cannot be reached is raised, for the caller to retry)."""
    s = job.screening
    if s.deadline is not None and time.time() > s.deadline:
        return over_budget(job.slot, job.file, job.number, s.options.limits.packet_seconds)
    try:
        doc = document(s.source, job.file, job.sha256, s.options.limits)
    except UnreadableFileError as exc:
        return failed_page(job.slot, job.file, job.number, exc)
    return screen_document_page(doc, job.number, s, job.slot, looked_up=True)


def over_budget(slot: Slot, file: str, number: int, seconds: float) -> PageResult:
    """A page not started within the packet's time budget: reported unread."""
    return failed_page(slot, file, number, TimeoutError("packet time budget"), f"超过本申报的检查时间预算{seconds:.0f}秒，未检查")


def screen_document_page(doc: Document, number: int, s: Screening, slot: Slot, looked_up: bool = False) -> PageResult:
    """Screen page ``number`` of an opened document; a failure is recorded on the page, not raised.

    With a cache, an unchanged page is not decoded again (unless ``looked_up`` says that was
    tried already), and a page whose findings must be recomputed (new rules, new detectors,
    another manifest) is not read again.
    """
    keys = s.keys(doc, number, slot)
    if keys and not looked_up and (hit := cached_page(s.cache, keys)) is not None:
        return hit
    try:
        src = doc.page(number)
        reading = _cached(s.cache, keys.reading, PageReading) if keys else None
        if reading is None:
            reading = read_page(src, s.engines, s.options, photo=slot is Slot.photo, text=text_needed(s.context(slot), s.detectors))
            if keys:
                cache_save(s.cache, keys.reading, reading.model_dump_json().encode())
        result = screen_page(src, s.context(slot), s.engines, s.detectors, s.options, doc.name, reading)
    except Exception as exc:  # one bad page must not lose the file
        log.warning("page %d of %s failed: %s", number, doc.name, type(exc).__name__)
        return failed_page(slot, doc.name, number, exc)
    if keys and not any(f.code is FindingCode.SCREENING_ERROR for f in result.findings):
        cache_save(s.cache, keys.result, result.model_dump_json().encode())  # a failed check is tried again next time
    return result


def screen_page(
    src: SourcePage,
    ctx: PageContext,
    engines: Engines,
    detectors: Mapping[str, DetectorSpec],
    options: ScreenOptions,
    file: str,
    reading: PageReading | None = None,
) -> PageResult:
    """One decoded page: read (or take its reading), measure, run the slot's detectors, keep a thumbnail."""
    page = prepare_page(src, ctx.slot, file, engines, options, reading, text=text_needed(ctx, detectors))
    findings = detect_page(page, replace(ctx, ocr=engines.ocr), detectors)
    return page_result(page, findings, options.thumbnail_px, options.thumbnail_quality)


def cached_page(cache: Cache | None, keys: PageKeys) -> PageResult | None:
    """The page's result from an earlier screening with the same bytes, code, rules and manifest."""
    return _cached(cache, keys.result, PageResult)


def _cached(cache: Cache | None, key: str, model: type[Any]) -> Any:
    raw = cache_load(cache, key)
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw)
    except ValueError:  # written by an older layout: recompute
        return None


# ---------------------------------------------------------------- the recipe


def screen_packet(
    packet: Packet,
    notices: Mapping[Any, Notice],
    engines: Engines,
    detectors: Mapping[str, DetectorSpec],
    packet_checks: Iterable[RuleSpec] = (),
    options: ScreenOptions | None = None,
    on_page: Callable[[PageResult], None] | None = None,
    cache: Cache | None = None,
    run: Map = serial,
    deadline: float | None = None,
) -> ScreenResult:
    """The whole recipe: open every upload, screen every page not in the cache (within the
    packet's page limits and time budget), then the packet-level rules and the report."""
    options = options or ScreenOptions()
    limits = options.limits
    manifest = packet.manifest
    notice = notices[manifest.track]
    started = time.perf_counter()
    s = Screening(packet.source, manifest, notice, engines, detectors, options, cache, deadline)
    opened = run(
        open_upload,
        [FileJob(s, slot, file, min(limits.max_pages, limits.slot_pages(slot))) for slot, file in manifest.files()],
    )
    budgets = page_budgets(opened, limits)
    jobs = [
        (i, PageJob(s, o.slot, o.file, o.sha256, n))
        for i, (o, (pages, _)) in enumerate(zip(opened, budgets, strict=True))
        if o.sha256
        for n in range(1, pages + 1)
        if n not in o.cached
    ]
    step: Callable[[PageJob], PageResult] = screen_upload_page if on_page is None else _Reporting(on_page)
    screened = dict(opened_cached(opened, budgets, on_page))
    screened |= {(i, job.number): r for (i, job), r in zip(jobs, run(step, [job for _, job in jobs]), strict=True)}
    files = []
    for i, (o, (pages, limit_finding)) in enumerate(zip(opened, budgets, strict=True)):
        results = [screened[(i, n)] for n in range(1, pages + 1)]
        findings = list(o.findings)
        if limit_finding is not None:
            findings = [f for f in findings if f.code is not FindingCode.TOO_MANY_PAGES] + [limit_finding]
        files.append(file_result(o.slot, o.file, o.format, o.page_count, results, findings, o.sha256))
    report = build_report(manifest, files, check_packet(manifest, notice, files, packet_checks), engine_info(engines, notice))
    log.info("screened %s in %.1f s", manifest.application_id, time.perf_counter() - started)
    return ScreenResult(report=report, pages=[p for fr in files for p in fr.pages], manifest=manifest)


def page_budgets(opened: Sequence[OpenedFile], limits: ReadLimits) -> list[tuple[int, Finding | None]]:
    """Pages to read of each file, in manifest order: its own limit, then what is left of its
    slot's and of the packet's; a file cut shorter than its own limit gets a finding saying why."""
    slot_left: dict[Slot, int] = {}
    packet_left = limits.max_total_pages
    out: list[tuple[int, Finding | None]] = []
    for o in opened:
        if not o.page_count:
            out.append((0, None))
            continue
        own = min(o.page_count, limits.max_pages)
        in_slot = slot_left.setdefault(o.slot, limits.slot_pages(o.slot))
        pages = min(own, in_slot, packet_left)
        finding = None
        if pages < own:
            why = (
                f"本类材料合计超过{limits.slot_pages(o.slot)}页的检查上限"
                if in_slot <= packet_left
                else f"整份申报合计超过{limits.max_total_pages}页的检查上限"
            )
            finding = too_many_pages(o.slot, o.file, o.page_count, pages, why)
        slot_left[o.slot] = in_slot - pages
        packet_left -= pages
        out.append((pages, finding))
    return out


def opened_cached(
    opened: Sequence[OpenedFile], budgets: Sequence[tuple[int, Finding | None]], on_page: Callable[[PageResult], None] | None
) -> Iterable[tuple[tuple[int, int], PageResult]]:
    """The pages to read that the cache already holds, by (file index, page number)."""
    for i, (o, (pages, _)) in enumerate(zip(opened, budgets, strict=True)):
        for n, result in sorted(o.cached.items()):
            if n <= pages:
                if on_page:
                    on_page(result)
                yield (i, n), result


class _Reporting:
    """The page step, telling ``on_page`` of each page screened (a progress line)."""

    def __init__(self, on_page: Callable[[PageResult], None]) -> None:
        self.on_page = on_page

    def __call__(self, job: PageJob) -> PageResult:
        result = screen_upload_page(job)
        self.on_page(result)
        return result

