"""The app database engine and sessions (async SQLAlchemy under SQLModel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Executable, Row, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from cpd import census, counters, models  # models registers the tables on SQLModel.metadata

Sessionmaker = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is crash-safe (no corruption) and skips an fsync per
    # commit, which otherwise caps a busy worker at a few dozen writes a second.
    # A power cut may lose the last commits; production runs PostgreSQL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        # The API and the worker write to one SQLite file from two processes:
        # WAL lets readers and a writer proceed together, busy_timeout queues writers.
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _driver_leaves_transactions_to_us(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


class Reads:
    """Runs a few read-only queries together, in one transaction: one consistent snapshot.

    Why not just the async session: on SQLite every await on aiosqlite is a hop to
    its thread, several per query, and on a small machine a hop costs ~0.1 ms,
    which made a leader's status mostly waiting. So on SQLite the whole batch runs
    in one hop, on the stdlib driver in a worker thread. asyncpg (PostgreSQL) has
    no such hops, so there the batch runs on the request's own session.
    Only for reads: the batch does not see the calling session's uncommitted writes.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._sync: sqlalchemy.Engine | None = None
        if engine.url.get_backend_name() == "sqlite":
            self._sync = sqlalchemy.create_engine(
                engine.url.set(drivername="sqlite"), connect_args={"timeout": 30}
            )
            event.listen(self._sync, "connect", _sqlite_pragmas)
            # The stdlib driver would not BEGIN before a SELECT, leaving each query
            # its own snapshot; the SQLAlchemy docs' recipe makes the batch one.
            event.listen(self._sync, "connect", _driver_leaves_transactions_to_us)
            event.listen(self._sync, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))

    async def run(
        self, session: AsyncSession, params: dict[str, Any], *statements: Executable
    ) -> list[Sequence[Row[Any]]]:
        """Each statement's rows, with ``params`` bound (statements are built once, at import)."""
        if self._sync is None:
            return [(await session.execute(s, params)).all() for s in statements]
        return await asyncio.to_thread(self._run_sync, params, statements)

    def _run_sync(
        self, params: dict[str, Any], statements: Sequence[Executable]
    ) -> list[Sequence[Row[Any]]]:
        assert self._sync is not None
        with Session(self._sync, expire_on_commit=False) as session, session.begin():
            return [session.execute(s, params).all() for s in statements]

    def close(self) -> None:
        if self._sync is not None:
            self._sync.dispose()


def create_sessionmaker(engine: AsyncEngine) -> Sessionmaker:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        new = await conn.run_sync(_missing_tables)
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.run_sync(_create_missing_indexes)
        for table, backfill in BACKFILLS.items():
            if table in new:
                # A database from before these running totals: count its rows once.
                await conn.run_sync(backfill)


# Running totals added after the first release, and how each is counted from its rows.
BACKFILLS: dict[str, Callable[[sqlalchemy.Connection], None]] = {
    str(models.EventCensus.__tablename__): census.backfill,
    str(models.ChoiceCount.__tablename__): counters.backfill_choices,
}


def _missing_tables(conn: sqlalchemy.Connection) -> set[str]:
    return set(SQLModel.metadata.tables) - set(sqlalchemy.inspect(conn).get_table_names())


def _create_missing_indexes(conn: sqlalchemy.Connection) -> None:
    # create_all makes an index only with its table: an index added later
    # would never reach a database that already has the table.
    for table in SQLModel.metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    for name in models.RETIRED_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


@asynccontextmanager
async def unit_of_work(sessionmaker: Sessionmaker) -> AsyncIterator[AsyncSession]:
    """One transaction: commits on success, rolls back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
