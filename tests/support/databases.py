"""A fresh app database for each test, on SQLite or on PostgreSQL.

Every test that uses one runs once per backend (``pytest --db sqlite|postgres|both``).
SQLite: a file in the test's temp folder. PostgreSQL: one throwaway server for the
session (devtools/postgres.py, in data/pg-test), a template database given the tables
once, and a copy of it per test (CREATE DATABASE ... TEMPLATE), dropped afterwards.
The run that starts the server stops it; one already running (left by a killed run, or
started by hand) is used and left running: ``pg_ctl -D data/pg-test stop`` stops it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Protocol

from cpd.db import create_engine, create_tables
from cpd.settings import PROJECT_ROOT
from devtools.postgres import PostgresServer, start_postgres

BACKENDS = ("sqlite", "postgres")
PG_DATA = PROJECT_ROOT / "data" / "pg-test"
PREFIX = "cpd_test_"  # every database the tests make, template included


class Databases(Protocol):
    def fresh(self, folder: Path) -> AbstractContextManager[str]:
        """A new database with the app's tables for one test: its URL."""
        ...


class SqliteDatabases:
    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        yield f"sqlite+aiosqlite:///{folder / 'app.db'}"


class PostgresDatabases:
    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template

    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
        self._server.create_database(name, template=self._template)
        try:
            yield self._server.url(name)
        finally:
            self._server.drop_database(name)


@asynccontextmanager
async def postgres_databases() -> AsyncIterator[PostgresDatabases]:
    """The session's server and template; the server stops after if this session started it."""
    server = start_postgres(PG_DATA)
    if server.started:
        # Nobody else uses a server we just started: drop what a killed run left behind.
        for name in server.databases():
            if name.startswith(PREFIX):
                server.drop_database(name)
    template = f"{PREFIX}template_{uuid.uuid4().hex[:8]}"
    server.create_database(template)
    engine = create_engine(server.url(template))
    await create_tables(engine)
    await engine.dispose()  # a template with a connection open cannot be copied
    try:
        yield PostgresDatabases(server, template)
    finally:
        server.drop_database(template)
        if server.started:
            server.stop()
