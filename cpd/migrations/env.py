"""Alembic's entry point: runs migrations on the connection cpd/schema.py hands it.

Migrations are only ever run by ``cpd migrate`` (or the dev stack's equivalent step,
or the tests' template), never by a process at start (cpd/schema.py).
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import cpd.models  # noqa: F401 - the tables, for autogenerate's comparison

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters a table by copying it: batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
