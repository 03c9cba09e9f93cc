"""``prescreen_application``: screen one packet from object storage and publish its report.

Each task is one or two calls into the core. I/O tasks retry with backoff; a page that
fails is recorded in the report by the core, so a retry is only ever for the store.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel

from flows.artifacts import report_artifact
from pipeline.cache import Cache
from pipeline.documents import Document
from pipeline.errors import UnreadableFileError
from pipeline.manifest import Manifest, Slot
from pipeline.models import Finding
from pipeline.rules import load_rules
from pipeline.screen import (
    FileResult,
    PageContext,
    PageResult,
    ScreenResult,
    build_report,
    cached_page,
    check_packet,
    engine_info,
    file_findings,
    file_result,
    page_keys_for,
    screen_document_page,
    unreadable,
)
from prescreen import runtime
from prescreen.settings import Settings
from storage.cache import StoreCache
from storage.objectstore import LocalStore, ObjectStore, join
from storage.packets import StoreSource, load_store_packet
from storage.reports import Published, publish_result
from storage.reviewdb import Recorded, record_report

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_jitter_factor=0.3)


@lru_cache(maxsize=1)
def _settings() -> Settings:
    return Settings()


def _store(root: str | None) -> ObjectStore:
    return LocalStore(Path(root)) if root else runtime.store_for(_settings())


@lru_cache(maxsize=4)
def _document(root: str | None, prefix: str, file: str, etag: str) -> Document:
    """The opened upload, cached per worker process by its etag (pages of one file share one download)."""
    settings = _settings()
    data = StoreSource(_store(root), prefix).read(file, settings.limits.max_file_bytes)
    return Document(data, file, settings.limits)


@task(task_run_name="load {prefix}", **IO_RETRIES)
def load_manifest(root: str | None, prefix: str) -> Manifest:
    return load_store_packet(_store(root), prefix).manifest


def _cache(root: str | None, use_cache: bool) -> Cache | None:
    return StoreCache(_store(root)) if use_cache else None


class OpenedUpload(BaseModel):
    etag: str = ""
    sha256: str | None = None
    format: str | None = None
    page_count: int | None = None
    pages_to_read: int = 0
    findings: list[Finding] = []
    cached: dict[int, PageResult] = {}  # pages whose results an earlier screening left in the cache


@task(task_run_name="open {file}", **IO_RETRIES)
def open_upload(root: str | None, prefix: str, manifest: Manifest, slot: Slot, file: str, use_cache: bool) -> OpenedUpload:
    """Open one upload: its etag, its pages, file-level findings (unreadable, mislabelled, too long)
    and the pages already screened with the same bytes, code and rules."""
    settings = _settings()
    info = _store(root).stat(join(prefix, file))
    etag = info.etag if info else ""
    try:
        doc = _document(root, prefix, file, etag)  # the same cached copy the page tasks use: one download
    except UnreadableFileError as exc:
        return OpenedUpload(findings=[unreadable(slot, file, exc)])
    cached: dict[int, PageResult] = {}
    if cache := _cache(root, use_cache):
        ctx = PageContext(manifest, load_rules(settings.rules_dir)[manifest.track], slot)
        engines, options = runtime.engines_for(settings), runtime.options_for(settings)
        for n in range(1, doc.pages_to_read + 1):
            if (hit := cached_page(cache, page_keys_for(doc, n, ctx, engines, options))) is not None:
                cached[n] = hit
    return OpenedUpload(
        etag=etag,
        sha256=doc.sha256,
        format=doc.format.value,
        page_count=doc.page_count,
        pages_to_read=doc.pages_to_read,
        findings=file_findings(doc, slot, file, settings.limits),
        cached=cached,
    )


@task(task_run_name="screen {file} p{number}", retries=2, retry_delay_seconds=[2, 10])
def screen_page_task(
    root: str | None, prefix: str, manifest: Manifest, slot: Slot, file: str, etag: str, number: int, use_cache: bool
) -> PageResult:
    settings = _settings()
    notice = load_rules(settings.rules_dir)[manifest.track]
    doc = _document(root, prefix, file, etag)
    ctx = PageContext(manifest, notice, slot)
    engines, options = runtime.engines_for(settings), runtime.options_for(settings)
    return screen_document_page(doc, number, ctx, engines, runtime.detectors(), options, _cache(root, use_cache))


@task(task_run_name="publish {prefix}", **IO_RETRIES)
def publish(root: str | None, prefix: str, result: ScreenResult) -> Published:
    """Write a new report version, unless the latest one already says exactly the same."""
    return publish_result(_store(root), prefix, result)


@task(task_run_name="record {prefix}", **IO_RETRIES)
def record(prefix: str, result: ScreenResult, version: str) -> Recorded:
    """Put the report version in the auditors' queue (decisions on unchanged findings carry over)."""
    submitted = result.manifest.submission.submitted_at if result.manifest else None
    applicant = result.manifest.applicant if result.manifest else None
    with runtime.review_db(_settings().database_url).session() as s:
        return record_report(s, prefix, result.report, version, received_at=submitted, applicant=applicant)


def screen(root: str | None, prefix: str, use_cache: bool = False) -> ScreenResult:
    """The recipe: load, open each upload, screen each page not in the cache, then the packet rules and the report."""
    settings = _settings()
    manifest = load_manifest(root, prefix)
    notice = load_rules(settings.rules_dir)[manifest.track]
    opened = {
        (slot, file): open_upload.submit(root, prefix, manifest, slot, file, use_cache) for slot, file in manifest.files()
    }
    uploads = {key: fut.result() for key, fut in opened.items()}
    futures = {
        (slot, file): {
            n: screen_page_task.submit(root, prefix, manifest, slot, file, up.etag, n, use_cache)
            for n in range(1, up.pages_to_read + 1)
            if n not in up.cached
        }
        for (slot, file), up in uploads.items()
    }
    files: list[FileResult] = []
    for (slot, file), page_futs in futures.items():
        up = uploads[(slot, file)]
        pages = [up.cached[n] if n in up.cached else page_futs[n].result() for n in range(1, up.pages_to_read + 1)]
        files.append(file_result(slot, file, up.format, up.page_count, pages, up.findings, up.sha256))
    packet = check_packet(manifest, notice, files, runtime.packet_checks())
    report = build_report(manifest, files, packet, engine_info(runtime.engines_for(settings), notice))
    return ScreenResult(report=report, pages=[p for fr in files for p in fr.pages], manifest=manifest)


def task_runner(address: str | None = None):  # noqa: ANN201 - a Prefect task runner
    """Pages fan out over a Dask cluster when one is configured (``PRESCREEN_DASK_ADDRESS``),
    otherwise over threads of this worker process."""
    settings = Settings()
    address = address or settings.dask_address
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    from prefect.task_runners import ThreadPoolTaskRunner

    # OCR already uses every core; more threads would only hold more decoded pages in memory
    return ThreadPoolTaskRunner(max_workers=settings.page_threads)


@flow(name="prescreen-application", log_prints=False, task_runner=task_runner())
def prescreen_application(prefix: str, root: str | None = None) -> dict:
    """Screen the packet under ``prefix`` (in the configured store, or the folder ``root``) and publish the report."""
    logger = get_run_logger()
    settings = _settings()
    result = screen(root, prefix, use_cache=settings.page_cache)
    published = publish(root, prefix, result)
    recorded = record(prefix, result, published.version)
    report = result.report
    create_markdown_artifact(
        key=artifact_key(report.application_id),
        markdown=report_artifact(report, published.version, recorded.status.value),
        description=f"prescreen {report.application_id}",
    )
    logger.info(
        "%s: %s, %d findings, report %s%s",
        report.application_id,
        report.recommendation.value,
        len(report.findings),
        published.version,
        "" if published.new else " (unchanged)",
    )
    return {
        "application_id": report.application_id,
        "recommendation": report.recommendation.value,
        "version": published.version,
        "new_version": published.new,
        "findings": len(report.findings),
        "codes": dict(Counter(f.code.value for f in report.findings)),
        "status": recorded.status.value,
    }


def artifact_key(application_id: str) -> str:
    """Prefect artifact keys are lowercase letters, digits and dashes."""
    return "prescreen-" + re.sub(r"[^a-z0-9-]", "-", application_id.lower())


@flow(name="prescreen-check", log_prints=False)
def check_local_packet(packet_dir: str) -> ScreenResult:
    """The command line's ``--flow``: the same tasks over a packet folder, nothing published."""
    folder = Path(packet_dir).resolve()
    if folder.is_file():
        folder = folder.parent
    return screen(str(folder.parent), folder.name)
