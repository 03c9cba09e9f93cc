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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A review database at the current schema revision, migrated once and copied per test."""
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("schema") / "review.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API: the write-ahead log included)."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path):
    """Every test gets its own review database (migrated) and local store, whatever the environment says."""
    import sys

    copy_sqlite(migrated_sqlite, tmp_path / "review.db")
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
def postgres():
    """A throwaway PostgreSQL cluster for the session: ``host:port``, superuser ``postgres``.
    Skipped where the server binaries are missing, unless ``PRESCREEN_REQUIRE_POSTGRES`` is set (CI)."""
    import os

    from tests import pg

    if not pg.available():
        if os.environ.get("PRESCREEN_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are required here and not installed")
        pytest.skip("no PostgreSQL binaries on this machine")
    with pg.temporary_postgres() as address:
        yield address


@pytest.fixture
def pg_database(postgres):
    """A fresh, empty database in the session's cluster; yields its URL as superuser."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"t{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"postgresql+psycopg://postgres@{postgres}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"postgresql+psycopg://postgres@{postgres}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


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
