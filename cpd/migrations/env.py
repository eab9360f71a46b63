"""Alembic's entry point: runs migrations on the connection cpd/schema.py hands it.

Migrations are only ever run by ``cpd migrate`` (or the dev stack's equivalent step,
or the tests' template), never by a process at start (cpd/schema.py).
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from cpd.models import UtcDateTime  # the tables, for autogenerate's comparison


def _render_type(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Migrations name plain SQLAlchemy types (and our one own), not SQLModel's."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if kind == "type" and isinstance(obj, UtcDateTime):
        autogen.imports.add("from cpd.models import UtcDateTime")
        return "UtcDateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters a table by copying it: batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_type,
)
with context.begin_transaction():
    context.run_migrations()
