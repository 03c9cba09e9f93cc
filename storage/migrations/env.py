"""Alembic environment of the review database, run by ``storage.migrate`` (``prescreen db upgrade``),
which hands in an open connection."""

from __future__ import annotations

from alembic import context

from storage.reviewdb import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
