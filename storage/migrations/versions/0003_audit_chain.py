"""The audit log becomes a hash chain (each entry stores the previous entry's hash and its own);
entries already there are chained in id order. On PostgreSQL a BEFORE TRUNCATE trigger joins the
UPDATE/DELETE one.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.auditchain import GENESIS, entry_hash
from storage.reviewdb import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("at", UtcDateTime),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("application_id", sa.String),
    sa.column("report_version", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=True))
    # chain the existing entries: the append-only triggers are lifted for this transaction only
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
    prev = GENESIS
    rows = bind.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings().all()
    for r in rows:
        h = entry_hash(prev, r["at"], r["actor"], r["action"], r["application_id"], r["report_version"], r["detail"])
        bind.execute(audit_log.update().where(audit_log.c.id == r["id"]).values(prev_hash=prev, hash=h))
        prev = h
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.drop_column("audit_log", "hash")
        op.drop_column("audit_log", "prev_hash")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.drop_column("audit_log", "hash")  # SQLite 3.35+ drops a plain column in place
        op.drop_column("audit_log", "prev_hash")
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
