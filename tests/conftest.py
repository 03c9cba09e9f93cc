from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.context import Engines, PageContext, ScreenOptions
from pipeline.manifest import Manifest, Slot, parse_manifest
from prescreen import runtime
from prescreen.settings import Settings
from samples.generate import PacketBuilder

logging.getLogger("RapidOCR").setLevel(logging.ERROR)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own review database and local store, whatever the environment says."""
    import sys

    monkeypatch.setenv("PRESCREEN_DATABASE_URL", f"sqlite:///{tmp_path}/review.db")
    monkeypatch.setenv("PRESCREEN_LOCAL_ROOT", str(tmp_path / "store"))
    monkeypatch.delenv("PRESCREEN_STORE", raising=False)
    clear_settings = getattr(sys.modules.get("flows.screen"), "settings", None)
    if clear_settings:
        clear_settings.cache_clear()
    yield
    if clear_settings := getattr(sys.modules.get("flows.screen"), "settings", None):
        clear_settings.cache_clear()


@pytest.fixture(autouse=True)
def _checks_raise_only_declared_codes(caplog: pytest.LogCaptureFixture):
    """A check that raises a finding code its spec does not declare fails whichever test saw it
    (the core records it as the check's fault and logs it; see ``pipeline.checks.declared``)."""
    yield
    undeclared = [r.getMessage() for r in caplog.records if getattr(r, "undeclared_codes", None)]
    if undeclared:
        pytest.fail("; ".join(undeclared), pytrace=False)


@pytest.fixture(scope="session")
def harness():
    """One temporary Prefect server for every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server on loopback (moto), standing in for MinIO."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def engines() -> Engines:
    return runtime.engines()


@pytest.fixture(scope="session")
def notices():
    return runtime.notices(Settings())


@pytest.fixture
def builder(tmp_path: Path) -> PacketBuilder:
    return PacketBuilder(tmp_path / "packet")


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    import json

    # a 2025 track: nothing has to be masked, so page tests see only what they are about
    return parse_manifest(json.dumps(PacketBuilder(Path("/nonexistent"), track="initial_junior").manifest()))


@pytest.fixture(scope="session")
def context(manifest, notices):
    def make(slot: Slot = Slot.diploma, track=None) -> PageContext:
        m = manifest if track is None else manifest.model_copy(update={"track": track})
        return PageContext(m, notices[m.track], slot)

    return make


@pytest.fixture(scope="session")
def options() -> ScreenOptions:
    return ScreenOptions()
