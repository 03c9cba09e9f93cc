"""``prescreen_application``: screen one packet from object storage and publish its report.

The screening is the core's own recipe with Prefect's submit as its executor, so each upload
and each page is a task run; each other task is one or two calls into the core. I/O tasks
retry with backoff; a page that fails is recorded in the report by the core, so a retry is
only ever for the store. Each page has a time budget (a task time-out), each packet too (pages
not started by then are reported unread).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.artifacts import report_artifact
from pipeline import screen as recipe
from pipeline.context import ScreenResult
from pipeline.errors import InputError, UnreadableFileError
from pipeline.manifest import Manifest
from pipeline.packet import Packet
from prescreen import runtime
from prescreen.settings import Settings
from storage.cache import StoreCache
from storage.objectstore import LocalStore, ObjectStore
from storage.packets import StoreSource, load_store_packet
from storage.reports import Published, publish_result
from storage.reviewdb import Recorded, record_report


def transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry what the store or the network may fix; never bad input, nor a page past its time budget."""
    try:
        state.result()
    except (InputError, UnreadableFileError, TimeoutError):
        return False
    except Exception:  # noqa: BLE001 - anything else may be the store's
        return True
    return True


IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_jitter_factor=0.3, retry_condition_fn=transient)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


def store_at(root: str | None) -> ObjectStore:
    """The folder ``root`` as a store, or the configured store."""
    return LocalStore(Path(root)) if root else runtime.store_for(settings())


@task(task_run_name="load {prefix}", **IO_RETRIES)
def load_manifest(root: str | None, prefix: str) -> Manifest:
    return load_store_packet(store_at(root), prefix, settings().limits).manifest


# The core's two steps as tasks: the flow runs the core's recipe with Prefect's submit as its executor.
open_upload = task(
    recipe.open_upload, name="open-upload", task_run_name="open {job.file}", cache_policy=NO_CACHE, **IO_RETRIES
)
screen_page_task = task(
    recipe.screen_upload_page,
    name="screen-page",
    task_run_name="screen {job.file} p{job.number}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=transient,
)
STEP_TASKS = {recipe.open_upload: "open_upload", recipe.screen_upload_page: "screen_page_task"}


def submit_each(page_seconds: float) -> recipe.Map:
    """Prefect's submit as the recipe's executor: each job a task run on the flow's task runner
    (threads of this worker, or a Dask cluster). A page that outruns ``page_seconds`` is ended by
    Prefect and becomes a finding on that page; any other failure, once retried, fails the run."""

    def run(step: Callable[[Any], Any], jobs: Sequence[Any]) -> list[Any]:
        t = globals()[STEP_TASKS[step]]  # looked up now, so a test may swap a task's options
        if step is recipe.screen_upload_page:
            t = t.with_options(timeout_seconds=page_seconds)
        futures = [t.submit(job) for job in jobs]
        results = []
        for job, future in zip(jobs, futures, strict=True):
            try:
                results.append(future.result())
            except TimeoutError as exc:
                if not isinstance(job, recipe.PageJob):
                    raise
                results.append(job.failed(exc))
        return results

    return run


@task(task_run_name="publish {prefix}", **IO_RETRIES)
def publish(root: str | None, prefix: str, result: ScreenResult) -> Published:
    """Write a new report version, unless the latest one already says exactly the same."""
    return publish_result(store_at(root), prefix, result)


@task(task_run_name="record {prefix}", **IO_RETRIES)
def record(prefix: str, result: ScreenResult, version: str) -> Recorded:
    """Put the report version in the auditors' queue (decisions on unchanged findings carry over)."""
    submitted = result.manifest.submission.submitted_at if result.manifest else None
    applicant = result.manifest.applicant if result.manifest else None
    with runtime.review_db(settings().database_url).session() as s:
        return record_report(s, prefix, result.report, version, received_at=submitted, applicant=applicant)


def screen(root: str | None, prefix: str, use_cache: bool = False) -> ScreenResult:
    """The core's recipe (``pipeline.screen.screen_packet``), each upload and each page a task."""
    config = settings()
    manifest = load_manifest(root, prefix)
    store = store_at(root)
    return recipe.screen_packet(
        Packet(manifest=manifest, source=StoreSource(store, prefix)),
        runtime.notices(config),
        runtime.engines_for(config),
        runtime.detectors(),
        runtime.packet_checks(),
        runtime.options_for(config),
        cache=StoreCache(store) if use_cache else None,
        run=submit_each(config.limits.page_seconds),
        deadline=time.time() + config.limits.packet_seconds,
    )


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


# past the packet's time budget pages are reported unread; this only ends a run that hangs beyond it
@flow(
    name="prescreen-application",
    log_prints=False,
    task_runner=task_runner(),
    timeout_seconds=2 * Settings().limits.packet_seconds + 600,
)
def prescreen_application(prefix: str, root: str | None = None) -> dict:
    """Screen the packet under ``prefix`` (in the configured store, or the folder ``root``) and publish the report."""
    logger = get_run_logger()
    result = screen(root, prefix, use_cache=settings().page_cache)
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


@flow(name="prescreen-check", log_prints=False, task_runner=task_runner())
def check_local_packet(packet_dir: str) -> ScreenResult:
    """The command line's ``--flow``: the same tasks over a packet folder, nothing published."""
    folder = Path(packet_dir).resolve()
    if folder.is_file():
        folder = folder.parent
    return screen(str(folder.parent), folder.name)
