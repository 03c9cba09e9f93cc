"""``prescreen_application``: screen one packet from object storage and publish its report.

Each task is one or two calls into the core. I/O tasks retry with backoff; a page that
fails is recorded in the report by the core, so a retry is only ever for the store.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from prefect import flow, get_run_logger, task
from pydantic import BaseModel

from pipeline.documents import Document
from pipeline.errors import UnreadableFileError
from pipeline.html import evidence_images, render_html
from pipeline.manifest import Manifest, Slot
from pipeline.models import Finding
from pipeline.rules import load_rules
from pipeline.screen import (
    FileResult,
    PageContext,
    PageResult,
    ScreenResult,
    build_report,
    check_packet,
    engine_info,
    file_findings,
    file_result,
    screen_document_page,
    unreadable,
)
from prescreen import runtime
from prescreen.settings import Settings
from storage.objectstore import LocalStore, ObjectStore, join
from storage.packets import StoreSource, load_store_packet
from storage.reports import publish_report

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_jitter_factor=0.3)


@lru_cache(maxsize=1)
def _settings() -> Settings:
    return Settings()


def _store(root: str | None) -> ObjectStore:
    return LocalStore(Path(root)) if root else runtime.store_for(_settings())


@lru_cache(maxsize=8)
def _document(root: str | None, prefix: str, file: str, etag: str) -> Document:
    """The opened upload, cached per worker process by its etag (pages of one file share one download)."""
    settings = _settings()
    data = StoreSource(_store(root), prefix).read(file, settings.limits.max_file_bytes)
    return Document(data, file, settings.limits)


@task(task_run_name="load {prefix}", **IO_RETRIES)
def load_manifest(root: str | None, prefix: str) -> Manifest:
    return load_store_packet(_store(root), prefix).manifest


class OpenedUpload(BaseModel):
    etag: str = ""
    format: str | None = None
    page_count: int | None = None
    pages_to_read: int = 0
    findings: list[Finding] = []


@task(task_run_name="open {file}", **IO_RETRIES)
def open_upload(root: str | None, prefix: str, slot: Slot, file: str) -> OpenedUpload:
    """Open one upload: its etag, its pages, and file-level findings (unreadable, mislabelled, too long)."""
    info = _store(root).stat(join(prefix, file))
    etag = info.etag if info else ""
    try:
        doc = _document(root, prefix, file, etag)  # the same cached copy the page tasks use: one download
    except UnreadableFileError as exc:
        return OpenedUpload(findings=[unreadable(slot, file, exc)])
    return OpenedUpload(
        etag=etag,
        format=doc.format.value,
        page_count=doc.page_count,
        pages_to_read=doc.pages_to_read,
        findings=file_findings(doc, slot, file, _settings().limits),
    )


@task(task_run_name="screen {file} p{number}", retries=2, retry_delay_seconds=[2, 10])
def screen_page_task(root: str | None, prefix: str, manifest: Manifest, slot: Slot, file: str, etag: str, number: int) -> PageResult:
    settings = _settings()
    notice = load_rules(settings.rules_dir)[manifest.track]
    doc = _document(root, prefix, file, etag)
    ctx = PageContext(manifest, notice, slot)
    return screen_document_page(doc, number, ctx, runtime.engines_for(settings), runtime.detectors(), runtime.options_for(settings))


@task(task_run_name="publish {prefix}", **IO_RETRIES)
def publish(root: str | None, prefix: str, result: ScreenResult) -> str:
    html = render_html(result.report, result.pages)
    return publish_report(_store(root), prefix, result.report, html, evidence_images(result.report, result.pages))


def screen(root: str | None, prefix: str) -> ScreenResult:
    """The recipe: load, open each upload, screen each page, then the packet rules and the report."""
    settings = _settings()
    manifest = load_manifest(root, prefix)
    notice = load_rules(settings.rules_dir)[manifest.track]
    opened = {(slot, file): open_upload.submit(root, prefix, slot, file) for slot, file in manifest.files()}
    uploads = {key: fut.result() for key, fut in opened.items()}
    futures = {
        (slot, file): [
            screen_page_task.submit(root, prefix, manifest, slot, file, up.etag, n) for n in range(1, up.pages_to_read + 1)
        ]
        for (slot, file), up in uploads.items()
    }
    files: list[FileResult] = []
    for (slot, file), page_futs in futures.items():
        up = uploads[(slot, file)]
        pages = [f.result() for f in page_futs]
        files.append(file_result(slot, file, up.format, up.page_count, pages, up.findings))
    packet = check_packet(manifest, notice, files, runtime.packet_checks())
    report = build_report(manifest, files, packet, engine_info(runtime.engines_for(settings), notice))
    return ScreenResult(report=report, pages=[p for fr in files for p in fr.pages])


@flow(name="prescreen-application", log_prints=False)
def prescreen_application(prefix: str, root: str | None = None) -> dict:
    """Screen the packet under ``prefix`` (in the configured store, or the folder ``root``) and publish the report."""
    logger = get_run_logger()
    result = screen(root, prefix)
    version = publish(root, prefix, result)
    report = result.report
    logger.info("%s: %s, %d findings, report %s", report.application_id, report.recommendation.value, len(report.findings), version)
    return {"application_id": report.application_id, "recommendation": report.recommendation.value, "version": version, "findings": len(report.findings)}


@flow(name="prescreen-check", log_prints=False)
def check_local_packet(packet_dir: str) -> ScreenResult:
    """The command line's ``--flow``: the same tasks over a packet folder, nothing published."""
    folder = Path(packet_dir).resolve()
    if folder.is_file():
        folder = folder.parent
    return screen(str(folder.parent), folder.name)
