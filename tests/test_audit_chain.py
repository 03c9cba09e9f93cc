"""The audit log as a hash chain, verified from the first entry; on PostgreSQL it cannot be emptied, and
the app's role may only read and append it."""

from __future__ import annotations

import threading
import uuid

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.errors import ConfigError
from prescreen.cli import main
from storage.migrate import audit_log_powers, grant_app_role, upgrade
from storage.reviewdb import ReviewDB, audit, decide_finding, decide_packet, fingerprints, record_report, verify_audit_log
from tests.test_reviewdb import report, tilt


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    url = f"sqlite:///{tmp_path}/a.db" if request.param == "sqlite" else request.getfixturevalue("pg_database")
    upgrade(url)
    return url


def activity(db: ReviewDB) -> None:
    r = report(findings=[tilt()])
    with db.session() as s:
        record_report(s, "uploads/2024-A", r, "v1")
        decide_finding(s, "2024-A", fingerprints(r)[0], "confirmed", "倒置 <b>", "li", seen_version="v1")
        decide_packet(s, "2024-A", "return", "", ["方向不正"], "li", seen_version="v1")
        audit(s, "li\x00<x>", "login", note="控制字符\x07已去除")


def test_the_chain_verifies_and_survives_concurrent_appends(url):
    db = ReviewDB(url)
    activity(db)

    def append(n: int) -> None:
        for i in range(5):
            with db.session() as s:
                audit(s, f"worker{n}", "report_published", detail_n=i)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with db.session() as s:
        check = verify_audit_log(s)
    assert check.broken_at is None and check.entries == 4 + 40 and len(check.last_hash) == 64
    db.engine.dispose()


def test_an_edited_or_removed_entry_is_found(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path}/a.db"
    upgrade(url)
    db = ReviewDB(url)
    activity(db)
    monkeypatch.setenv("PRESCREEN_DATABASE_URL", url)
    assert main(["audit", "verify"]) == 0
    assert "audit log intact: 4 entries" in capsys.readouterr().out
    with db.engine.begin() as conn:  # someone with the file and sqlite3 in hand: triggers dropped, a decision rewritten
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'wang' WHERE id = 2"))
    with db.session() as s:
        check = verify_audit_log(s)
    assert check.broken_at == 2 and "changed" in check.reason and check.entries == 1
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "BROKEN at entry 2" in err
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'li' WHERE id = 2"))  # put back ...
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))  # ... and remove the packet decision instead
    with db.session() as s:
        check = verify_audit_log(s)
    assert check.broken_at == 4 and "removed" in check.reason


def test_postgresql_log_cannot_be_emptied_and_the_app_role_only_reads_and_appends(pg_database, tmp_path):
    owner_url = pg_database
    upgrade(owner_url)
    owner = create_engine(owner_url)
    role = f"app_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    assert any("SELECT, INSERT ON audit_log" in g for g in grant_app_role(owner_url, role))
    app_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)

    db = ReviewDB(app_url)
    activity(db)  # everything the app and the workers do works as that role
    assert audit_log_powers(db.engine) == []
    assert set(audit_log_powers(owner)) >= {"OWNER", "UPDATE", "DELETE", "TRUNCATE"}
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "DROP TRIGGER audit_log_append_only ON audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "DROP TABLE audit_log"):  # fmt: skip
        with pytest.raises(Exception, match="permission denied|must be owner"), db.engine.begin() as conn:
            conn.execute(text(sql))
    with pytest.raises(Exception, match="append-only"), owner.begin() as conn:  # even the owner cannot TRUNCATE it
        conn.execute(text("TRUNCATE audit_log"))
    with db.session() as s:
        assert verify_audit_log(s).entries == 4

    from review.app import create_app
    from storage.objectstore import LocalStore

    production = dict(review_url="https://review.example", secret_key=SecretStr("s" * 48), local_root=tmp_path / "store")
    from prescreen.settings import Settings

    app = create_app(Settings(database_url=app_url, **production), store=LocalStore(tmp_path / "store"), db=db)
    assert app is not None
    owner_db = ReviewDB(owner_url)
    with pytest.raises(ConfigError, match="may OWNER/UPDATE/DELETE/TRUNCATE"):
        create_app(Settings(database_url=owner_url, **production), store=LocalStore(tmp_path / "store"), db=owner_db)
    for e in (db, owner_db):
        e.engine.dispose()
    owner.dispose()


def test_grant_refuses_sqlite_the_owner_and_odd_names(tmp_path, pg_database):
    upgrade(f"sqlite:///{tmp_path}/a.db")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        grant_app_role(f"sqlite:///{tmp_path}/a.db", "prescreen_app")
    with pytest.raises(ConfigError, match="plain PostgreSQL role name"):
        grant_app_role(pg_database, "x; DROP TABLE audit_log")
    with pytest.raises(ConfigError, match="no audit_log table"):
        grant_app_role(pg_database, "postgres")
    upgrade(pg_database)
    with pytest.raises(ConfigError, match="owns the tables"):
        grant_app_role(pg_database, "postgres")
    with pytest.raises(ConfigError, match="there is no PostgreSQL role"):
        grant_app_role(pg_database, "nobody_here")
