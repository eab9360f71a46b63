"""The app database's schema: Alembic migrations in cpd/migrations/.

``cpd migrate`` (compose runs it as a one-shot job; ``./scripts/dev`` runs it before it
starts anything) upgrades the database to this release's head. No other process alters
the schema: the API, workers, reply server and admin commands check that the database
is at head at start, and refuse with a clear message if it is not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Two migrating processes on PostgreSQL take turns (compose may start two by mistake).
_PG_LOCK = 0x637064  # "cpd"


class SchemaOutOfDate(RuntimeError):
    """The database is not at this release's schema: run ``cpd migrate``."""


def _config(connection: sqlalchemy.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "cpd/migrations has no revisions"
    return found


def _upgrade(connection: sqlalchemy.Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    command.upgrade(_config(connection), revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (this release's head by default), in one
    transaction where the database allows (PostgreSQL does; SQLite's DDL too)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


def _current(connection: sqlalchemy.Connection) -> str | None:
    # Alembic says which DDL mode it assumes at INFO, on every process start: noise there.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    return MigrationContext.configure(connection).get_current_revision()


async def current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def require_current(engine: AsyncEngine) -> None:
    """Refuse to run on a database that is not at this release's schema."""
    found, wanted = await current(engine), head()
    if found != wanted:
        at = f"at revision {found}" if found else "not set up by migrations"
        raise SchemaOutOfDate(
            f"The app database is {at}; this release needs {wanted}. "
            "Run `cpd migrate` (compose runs it as the `migrate` job) and start again."
        )
