"""Faults: a store that fails and recovers, one that stays down, a detector that raises, a worker
killed mid-packet; and the Dask fan-out giving the same report as threads in one process."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import StorageError
from storage.objectstore import LocalStore
from storage.reports import latest_pointer, latest_report, report_versions
from tests.factories import counting, review_packet

PREFIX = "uploads/2024-RV-0500"


class FlakyStore:
    """A local store whose calls fail as told: ``fail_gets`` first reads, ``fail_report_puts`` first
    writes of a report.json (after the images of that version were written), or everything."""

    def __init__(self, inner: LocalStore, fail_gets: int = 0, fail_report_puts: int = 0, down: bool = False) -> None:
        self.inner, self.fail_gets, self.fail_report_puts, self.down = inner, fail_gets, fail_report_puts, down
        self.failures = 0

    def _maybe_fail(self, what: str) -> None:
        if self.down:
            self.failures += 1
            raise StorageError(f"object store unreachable ({what})")

    def get(self, key):
        self._maybe_fail("get")
        if self.fail_gets > 0:
            self.fail_gets -= 1
            self.failures += 1
            raise StorageError("object store unreachable (ConnectionResetError)")
        return self.inner.get(key)

    def put(self, key, data, content_type="application/octet-stream"):
        self._maybe_fail("put")
        if key.endswith("/report.json") and self.fail_report_puts != 0:
            self.fail_report_puts -= 1
            self.failures += 1
            raise StorageError("object store refused report.json: SlowDown")
        return self.inner.put(key, data, content_type)

    def stat(self, key):
        self._maybe_fail("stat")
        return self.inner.stat(key)

    def list(self, prefix=""):
        self._maybe_fail("list")
        return self.inner.list(prefix)

    def delete(self, key):
        self._maybe_fail("delete")
        return self.inner.delete(key)

    def describe(self):
        return "flaky " + self.inner.describe()


@pytest.fixture
def flow_module(monkeypatch, harness):
    """The screening flow with its retries kept, but without waiting between them."""
    from flows import screen as fm

    from pipeline.reading import DOCUMENTS

    for name in ("load_manifest", "open_upload", "screen_page_task", "publish", "record"):
        t = getattr(fm, name)
        monkeypatch.setattr(fm, name, t.with_options(retry_delay_seconds=0, retry_jitter_factor=None))
    DOCUMENTS.clear()
    yield fm
    DOCUMENTS.clear()


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "store"
    review_packet(root / PREFIX, "2024-RV-0500")
    return root


def _use_store(monkeypatch, fm, store) -> None:
    monkeypatch.setattr(fm, "store_at", lambda root: store)


def _files_under(root: Path, prefix: str) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / prefix).rglob("*") if p.is_file()}


def test_store_failing_then_recovering_is_retried_to_a_complete_report(flow_module, root, monkeypatch):
    flaky = FlakyStore(LocalStore(root), fail_gets=2, fail_report_puts=2)
    _use_store(monkeypatch, flow_module, flaky)
    out = flow_module.prescreen_application(prefix=PREFIX, root=str(root))
    assert flaky.failures == 4
    store = LocalStore(root)
    assert report_versions(store, PREFIX) == [out["version"]]  # the two failed writes left nothing behind
    version_files = _files_under(root, f"{PREFIX}/reports/{out['version']}")
    assert {f.rsplit("/", 1)[-1] for f in version_files} >= {"report.json", "report.html", "0-1.jpg"}
    assert latest_report(store, PREFIX).application_id == "2024-RV-0500"


def test_store_failing_mid_publish_or_down_leaves_the_previous_report_intact(flow_module, root, monkeypatch):
    from pipeline.reading import DOCUMENTS

    store = LocalStore(root)
    first = flow_module.prescreen_application(prefix=PREFIX, root=str(root))
    before = _files_under(root, f"{PREFIX}/reports")
    pointer = latest_pointer(store, PREFIX)
    (root / PREFIX / "photo.jpg").write_bytes((root / PREFIX / "photo.jpg").read_bytes() + b"\0")  # a new upload

    refusing = FlakyStore(store, fail_report_puts=-1)  # every report.json write refused, the rest works
    _use_store(monkeypatch, flow_module, refusing)
    state = flow_module.prescreen_application(prefix=PREFIX, root=str(root), return_state=True)
    assert state.is_failed() and refusing.failures == 4  # first try + 3 retries
    assert _files_under(root, f"{PREFIX}/reports") == before  # images of the failed versions removed
    assert latest_pointer(store, PREFIX) == pointer

    _use_store(monkeypatch, flow_module, FlakyStore(store, down=True))
    DOCUMENTS.clear()
    state = flow_module.prescreen_application(prefix=PREFIX, root=str(root), return_state=True)
    assert state.is_failed() and "unreachable" in state.message
    assert _files_under(root, f"{PREFIX}/reports") == before and report_versions(store, PREFIX) == [first["version"]]


def test_a_detector_that_raises_on_one_page_is_recorded_and_the_packet_still_reported(flow_module, root, monkeypatch):
    from detectors import REGISTRY
    from prescreen import runtime

    def broken_clarity(page, ctx):
        if page.file == "diploma.jpg":
            raise ZeroDivisionError("bug on this page")
        return REGISTRY["clarity"](page, ctx)

    broken = replace(REGISTRY["clarity"], fn=broken_clarity)
    monkeypatch.setattr(runtime, "detectors", lambda: dict(REGISTRY) | {"clarity": broken})
    flow_module.prescreen_application(prefix=PREFIX, root=str(root))
    report = latest_report(LocalStore(root), PREFIX)
    found = {(f.code.value, f.file, f.page) for f in report.findings}
    assert ("SCREENING_ERROR", "diploma.jpg", 1) in found
    assert ("ROTATED", "appraisal_2023.jpg", 1) in found  # the other pages were screened
    assert ("UNMASKED_NAME", "diploma.jpg", 1) in found  # and the other checks of the failing page ran
    err = next(f for f in report.findings if f.code.value == "SCREENING_ERROR")
    assert err.evidence == {"detector": "clarity", "error": "ZeroDivisionError"}
    # a page whose check failed is not cached: the next run tries it again
    monkeypatch.setattr(runtime, "detectors", lambda: REGISTRY)
    flow_module.prescreen_application(prefix=PREFIX, root=str(root))
    assert "SCREENING_ERROR" not in {f.code.value for f in latest_report(LocalStore(root), PREFIX).findings}


WORKER = """
import sys
from flows.screen import prescreen_application
prescreen_application(prefix=sys.argv[1], root=sys.argv[2])
"""


def test_worker_killed_mid_packet_then_the_packet_is_rerun_to_completion(flow_module, root, engines, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from prescreen import runtime

    env = os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value(), "PRESCREEN_OCR_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, PREFIX, str(root)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = root / "cache" / "page"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (cache.exists() and any(cache.rglob("*-*"))):
        assert proc.poll() is None, "the worker ended before it could be killed"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # the machine dies mid-packet
    proc.wait(30)
    store = LocalStore(root)
    assert latest_pointer(store, PREFIX) is None and report_versions(store, PREFIX) == []  # nothing half-published
    screened_before = len(list(cache.rglob("*-*")))
    read_before = len(list((root / "cache" / "read").rglob("*-*")))  # pages read, whether or not checked
    assert 1 <= screened_before <= read_before < 4

    spy = counting(engines)
    monkeypatch.setattr(runtime, "engines_for", lambda settings: spy)
    out = flow_module.prescreen_application(prefix=PREFIX, root=str(root))  # what the nightly run does
    assert out["recommendation"] == "return_to_applicant"
    report = latest_report(store, PREFIX)
    assert sum(len(d.pages) for d in report.documents) == 4
    assert spy.orientation.calls == spy.ocr.reads == 4 - read_before  # pages read before the kill are not read again


def test_dask_fan_out_gives_the_same_report_as_threads(flow_module, root, tmp_path):
    from distributed import LocalCluster

    threads = flow_module.prescreen_application(prefix=PREFIX, root=str(root))
    report_threads = latest_report(LocalStore(root), PREFIX)

    other = tmp_path / "other"
    review_packet(other / PREFIX, "2024-RV-0500")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        runner = flow_module.task_runner(cluster.scheduler_address)
        dasked = flow_module.prescreen_application.with_options(task_runner=runner)(prefix=PREFIX, root=str(other))
        workers = cluster.scheduler_info["workers"]
        assert len(workers) == 2
    report_dask = latest_report(LocalStore(other), PREFIX)
    assert dasked["recommendation"] == threads["recommendation"]
    assert report_dask.model_dump(exclude={"generated_at"}) == report_threads.model_dump(exclude={"generated_at"})


def test_zombie_automation_is_created_once(harness):
    from prefect.automations import Automation

    from flows.automations import ZOMBIE, ensure_automations

    first = ensure_automations()
    assert ensure_automations() == first
    automation = Automation.read(name=ZOMBIE)
    assert automation.trigger.within.total_seconds() == 180 and automation.actions[0].state.value == "CRASHED"
