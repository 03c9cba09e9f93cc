"""Roles of accounts (auditor, lead, admin); each packet keeps the applicant's name and employer
from its manifest (auditors search by them); each finding row keeps its slot, page and message
(exports of confirmed findings need no report read back from the store) and a copy of the standing
decision on its fingerprint, with an index the statistics per code read alone.

Existing accounts become auditors; existing packets and findings get empty values until their
next report is recorded.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("role", sa.String(length=16), nullable=False, server_default="auditor"))
    op.add_column("packets", sa.Column("applicant_name", sa.String(length=64), nullable=False, server_default=""))
    op.add_column("packets", sa.Column("employer", sa.String(length=128), nullable=False, server_default=""))
    op.add_column("findings", sa.Column("slot", sa.String(length=32), nullable=True))
    op.add_column("findings", sa.Column("page", sa.Integer(), nullable=True))
    op.add_column("findings", sa.Column("message", sa.Text(), nullable=False, server_default=""))
    op.add_column("findings", sa.Column("decision", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE findings SET decision = (SELECT d.decision FROM finding_decisions d "
        "WHERE d.application_id = findings.application_id AND d.fingerprint = findings.fingerprint)"
    )
    op.create_index("ix_findings_current", "findings", ["application_id", "version", "code", "decision"])


def downgrade() -> None:
    op.drop_index("ix_findings_current", table_name="findings")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("decision")
        batch.drop_column("message")
        batch.drop_column("page")
        batch.drop_column("slot")
    with op.batch_alter_table("packets") as batch:
        batch.drop_column("employer")
        batch.drop_column("applicant_name")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
