"""Schema migrations of the review database (Alembic, ``storage/migrations``): ``prescreen db upgrade``.

A database made by a release before migrations (tables, no ``alembic_version``) is taken to be the
baseline revision and upgraded from there. On PostgreSQL, ``grant_app_role`` gives the role the
app and the workers connect as what they need and no more: on the audit log only SELECT and
INSERT, so that role can neither change nor empty the log, nor drop its triggers (it owns nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import ConfigError
from storage.reviewdb import Base, engine_for

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
APPEND_ONLY_TABLES = ("audit_log",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Upgraded:
    before: str | None
    after: str
    adopted: bool  # a database from before migrations, stamped as the baseline first


def upgrade(target: str | Engine, revision: str = "head") -> Upgraded:
    """Bring the database at ``target`` (a URL or an engine) to ``revision``, in one transaction."""
    engine = engine_for(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            before = current(conn)
            adopted = before is None and inspect(conn).has_table("audit_log")
            if adopted:
                command.stamp(_config(conn), BASELINE)
            command.upgrade(_config(conn), revision)
            after = current(conn)
    finally:
        if isinstance(target, str):
            engine.dispose()
    return Upgraded(before, after or "", adopted)


def downgrade(target: str | Engine, revision: str) -> None:
    """Take the schema back to ``revision`` ("base": nothing). Data in what is dropped is lost."""
    engine = engine_for(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            command.downgrade(_config(conn), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def grant_app_role(target: str | Engine, role: str) -> list[str]:
    """Grant ``role`` (an existing PostgreSQL role, not the tables' owner) the app's privileges.
    Run as the owner after every upgrade, so tables added later are covered. Returns the GRANTs."""
    if not ROLE_NAME.match(role):
        raise ConfigError(f"not a plain PostgreSQL role name: {role!r}")
    engine = engine_for(target) if isinstance(target, str) else target
    if engine.dialect.name != "postgresql":
        raise ConfigError("database roles and grants are PostgreSQL's; this review database is " + engine.dialect.name)
    statements = []
    try:
        with engine.begin() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                raise ConfigError(f"there is no PostgreSQL role {role}: CREATE ROLE {role} LOGIN PASSWORD '…' first")
            owner = conn.scalar(text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('audit_log')"))
            if owner is None:
                raise ConfigError("the review database has no audit_log table: run `prescreen db upgrade` first")
            if owner == role:
                raise ConfigError(f"{role} owns the tables; the app must connect as another role than the owner")
            schema = conn.scalar(text("SELECT current_schema()"))
            statements = [
                f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
                f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}',
                f"GRANT SELECT ON alembic_version TO {role}",
            ]
            for table in Base.metadata.sorted_tables:
                what = "SELECT, INSERT" if table.name in APPEND_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
                statements.append(f"GRANT {what} ON {table.name} TO {role}")
            statements.append(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}')
            for sql in statements:
                conn.execute(text(sql))
    finally:
        if isinstance(target, str):
            engine.dispose()
    return statements


def audit_log_powers(engine: Engine) -> list[str]:
    """What the connected role may do to the audit log beyond reading and appending (PostgreSQL);
    empty for the role ``grant_app_role`` set up."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pg_get_userbyid(c.relowner) = current_user, "
                "has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'), "
                "has_table_privilege(c.oid, 'TRUNCATE'), has_table_privilege(c.oid, 'TRIGGER') "
                "FROM pg_class c WHERE c.oid = to_regclass('audit_log')"
            )
        ).one()
    return [name for name, held in zip(("OWNER", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER"), row, strict=True) if held]
