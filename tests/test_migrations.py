"""Schema migrations: the models are what the migrations make, on SQLite and PostgreSQL; a database from
before migrations is adopted with its data; nothing runs on a database that was not migrated."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from pipeline.errors import ConfigError
from prescreen.cli import main


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch):
    """``prescreen serve`` must stop before serving here; if it did not, fail instead of blocking."""
    import uvicorn

    def refuse(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the app started")

    monkeypatch.setattr(uvicorn, "run", refuse)
from storage.migrate import downgrade, head, upgrade
from storage.reviewdb import Base, ReviewDB, audit_trail, verify_audit_log


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    return f"sqlite:///{tmp_path}/m.db" if request.param == "sqlite" else request.getfixturevalue("pg_database")


def test_the_migrations_make_exactly_the_models(url):
    done = upgrade(url)
    assert done.before is None and done.after == head() and not done.adopted
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff  # a model changed without a migration (or the other way round)
    assert upgrade(url).before == head()  # a second run has nothing to do
    engine.dispose()


def test_downgrade_to_nothing_and_up_again(url):
    upgrade(url)
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    assert upgrade(url).after == head()


def test_a_database_from_before_migrations_is_adopted_with_its_data(url, capsys, monkeypatch):
    upgrade(url, "0001")  # the schema exactly as earlier releases made it with create_all ...
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # ... which never had this table
        conn.execute(text("INSERT INTO audit_log (at, actor, action, detail) VALUES ('2025-06-01 08:00:00+00', 'li', 'login', '{}')"))
        conn.execute(text("INSERT INTO audit_log (at, actor, action, application_id, detail) "
                          "VALUES ('2025-06-01 08:05:00.250000+00', 'li', 'packet_pass', 'A-1', '{\"comment\": \"好\"}')"))  # fmt: skip
        conn.execute(text("INSERT INTO users (username, display_name, password_hash, active, created_at) "
                          "VALUES ('li', '李', 'x', true, '2025-01-01 00:00:00+00')"))  # fmt: skip
    engine.dispose()
    with pytest.raises(ConfigError, match="has no prescreen schema: run `prescreen db upgrade`"):
        ReviewDB(url)
    monkeypatch.setenv("PRESCREEN_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert "adopted" in capsys.readouterr().out
    db = ReviewDB(url)
    with db.session() as s:
        assert [e.action for e in reversed(audit_trail(s))] == ["login", "packet_pass"]
        check = verify_audit_log(s)
        assert check.entries == 2 and check.broken_at is None  # the old entries were chained in order
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x'"))  # the triggers are back after the backfill
    db.engine.dispose()


def test_nothing_runs_on_an_unmigrated_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRESCREEN_DATABASE_URL", f"sqlite:///{tmp_path}/empty/review.db")
    for argv in (["serve"], ["user", "list"], ["audit", "verify"]):
        assert main(argv) == 3, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "has no prescreen schema: run `prescreen db upgrade`" in err, argv
    upgrade(f"sqlite:///{tmp_path}/empty/review.db", "0002")
    assert main(["user", "list"]) == 3
    assert "is at schema revision 0002, this prescreen needs" in capsys.readouterr().err


def test_finding_rows_get_the_standing_decisions_when_migrated(url):
    """0004 copies each fingerprint's decision onto the finding rows recorded before it."""
    upgrade(url, "0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO packets (application_id, prefix, track, received_at, latest_version, recommendation, rank, status, "
                          "inputs, updated_at) VALUES ('A-1', 'u/A-1', 'review', '2025-06-01 08:00:00+00', 'v2', 'needs_review', 1, "
                          "'returned', 'x', '2025-06-01 08:00:00+00')"))  # fmt: skip
        for i, (version, fp) in enumerate([("v1", "f1"), ("v1", "f2"), ("v2", "f1"), ("v2", "f3")]):
            conn.execute(text("INSERT INTO findings (application_id, version, position, fingerprint, code, severity) "
                              f"VALUES ('A-1', '{version}', {i}, '{fp}', 'ROTATED', 'warning')"))
        conn.execute(text("INSERT INTO finding_decisions (application_id, fingerprint, decision, comment, auditor, version, decided_at) "
                          "VALUES ('A-1', 'f1', 'dismissed', 'x', 'li', 'v1', '2025-06-01 09:00:00+00')"))  # fmt: skip
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT version, fingerprint, decision FROM findings ORDER BY position")).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [("v1", "f1", "dismissed"), ("v1", "f2", None), ("v2", "f1", "dismissed"), ("v2", "f3", None)]
