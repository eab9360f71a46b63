"""The app database engine and sessions (async SQLAlchemy under SQLModel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import sqlalchemy
from sqlalchemy import Executable, Row, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel import Session as SyncSession
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from cpd import census, counters, models  # models registers the tables on SQLModel.metadata

Sessionmaker = async_sessionmaker[AsyncSession]
P = ParamSpec("P")
T = TypeVar("T")
Work = Callable[[SyncSession], T]


async def run_sync(
    session: AsyncSession,
    fn: Callable[Concatenate[SyncSession, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``fn(session, ...)`` on the async session's own (sync) Session, in its transaction.

    The plain functions shared with the worker (cpd/census.py, cpd/counters.py) take a
    sqlmodel Session, which is what an AsyncSession of sqlmodel's hands them; SQLAlchemy's
    annotations only promise its base class.
    """
    return await session.run_sync(cast(Callable[..., T], fn), *args, **kwargs)


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


def _one_hop_engine(url: sqlalchemy.URL, begin: str) -> sqlalchemy.Engine:
    """The same SQLite file on the stdlib driver, for work done in one hop to a thread.

    The stdlib driver would not BEGIN before a SELECT, leaving each query its own
    snapshot; the SQLAlchemy docs' recipe (the driver leaves transactions to us, and
    we say BEGIN) makes a transaction one snapshot from its first statement.
    """
    engine = sqlalchemy.create_engine(url.set(drivername="sqlite"), connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "connect", _driver_leaves_transactions_to_us)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


def _in_one_transaction(engine: sqlalchemy.Engine, work: Work[T]) -> T:
    """``work(session)`` in one transaction on a one-hop engine: committed if it returns."""
    with SyncSession(engine, expire_on_commit=False) as session, session.begin():
        return work(session)


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
            self._sync = _one_hop_engine(engine.url, "BEGIN")

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
        # SQLAlchemy's own Session: sqlmodel's marks execute() deprecated (warning on every
        # call), and its exec() would turn one-entity selects into scalars.
        with Session(self._sync, expire_on_commit=False) as session, session.begin():
            return [session.execute(s, params).all() for s in statements]

    def close(self) -> None:
        if self._sync is not None:
            self._sync.dispose()


class Transactions:
    """Runs a plain function over a Session as one transaction: ``await tx.write(fn, ...)``.

    The worker's activities use this rather than the async session. On SQLite each
    await on aiosqlite is a hop to its thread and back, several per statement: a
    participant's projection (six statements) cost 6 ms of CPU that way. Here a
    transaction is one hop:
    - writes go to one thread of their own, one after another, each opened with
      BEGIN IMMEDIATE: this process's writers queue in order instead of sleeping in
      SQLite's busy handler, and nothing can change what a transaction read before
      it writes (another process still waits up to busy_timeout);
    - reads go to the default thread pool, each one snapshot.
    On PostgreSQL the same function runs through the async session's ``run_sync``:
    asyncpg has no hops to save. Only plain values should leave ``fn``.
    """

    def __init__(self, sessionmaker: Sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        engine: AsyncEngine = sessionmaker.kw["bind"]
        self._writer: sqlalchemy.Engine | None = None
        self._reader: sqlalchemy.Engine | None = None
        self._write_thread: ThreadPoolExecutor | None = None
        if engine.url.get_backend_name() == "sqlite":
            self._writer = _one_hop_engine(engine.url, "BEGIN IMMEDIATE")
            self._reader = _one_hop_engine(engine.url, "BEGIN")
            self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writes")

    async def write(
        self, fn: Callable[Concatenate[SyncSession, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in one transaction, committed if it returns."""
        return await self._run(True, lambda session: fn(session, *args, **kwargs))

    async def read(
        self, fn: Callable[Concatenate[SyncSession, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in one read-only snapshot."""
        return await self._run(False, lambda session: fn(session, *args, **kwargs))

    async def _run(self, write: bool, work: Work[T]) -> T:
        engine = self._writer if write else self._reader
        if engine is None:
            return await self._on_async_session(work, commit=write)
        # Writes take turns on their one thread; reads share the default pool.
        thread = self._write_thread if write else None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(thread, _in_one_transaction, engine, work)

    async def _on_async_session(self, work: Work[T], commit: bool) -> T:
        async with self._sessionmaker() as session:
            result = await run_sync(session, work)
            if commit:
                await session.commit()
            return result

    def close(self) -> None:
        for engine in (self._writer, self._reader):
            if engine is not None:
                engine.dispose()
        if self._write_thread is not None:
            self._write_thread.shutdown()


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
