"""A fresh app database for each test, on SQLite or on PostgreSQL.

Every test that uses one runs once per backend (``pytest --db sqlite|postgres|both``).
Either way the schema comes from the migrations (cpd/migrations/), run once per session
into a template: SQLite copies its file per test; PostgreSQL (one throwaway server for the
session, devtools/postgres.py, in data/pg-test) copies a template database per test
(CREATE DATABASE ... TEMPLATE), dropped afterwards.
The run that starts the server stops it; one already running (left by a killed run, or
started by hand) is used and left running: ``pg_ctl -D data/pg-test stop`` stops it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Protocol

from cpd.db import create_engine
from cpd.schema import migrate
from cpd.settings import PROJECT_ROOT
from devtools.postgres import PostgresServer, start_postgres

BACKENDS = ("sqlite", "postgres")
PG_DATA = PROJECT_ROOT / "data" / "pg-test"
PREFIX = "cpd_test_"  # every database the tests make, template included


class Databases(Protocol):
    name: str

    def fresh(self, folder: Path) -> AbstractContextManager[str]:
        """A new database with the app's tables for one test: its URL."""
        ...

    def empty(self, folder: Path) -> AbstractContextManager[str]:
        """A new database with nothing in it (for the migration tests): its URL."""
        ...


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, template: Path) -> None:
        self._template = template

    @contextmanager
    def empty(self, folder: Path) -> Iterator[str]:
        yield f"sqlite+aiosqlite:///{folder / 'empty.db'}"

    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        shutil.copyfile(self._template, folder / "app.db")
        yield f"sqlite+aiosqlite:///{folder / 'app.db'}"


@asynccontextmanager
async def sqlite_databases() -> AsyncIterator[SqliteDatabases]:
    folder = Path(tempfile.mkdtemp(prefix="cpd-sqlite-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'template.db'}")
    await migrate(engine)
    await engine.dispose()
    try:
        yield SqliteDatabases(folder / "template.db")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PostgresDatabases:
    name = "postgresql"

    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template

    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        with self._new(self._template) as url:
            yield url

    @contextmanager
    def empty(self, folder: Path) -> Iterator[str]:
        with self._new(None) as url:
            yield url

    @contextmanager
    def _new(self, template: str | None) -> Iterator[str]:
        name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
        self._server.create_database(name, template=template)
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
    await migrate(engine)
    await engine.dispose()  # a template with a connection open cannot be copied
    try:
        yield PostgresDatabases(server, template)
    finally:
        server.drop_database(template)
        if server.started:
            server.stop()
