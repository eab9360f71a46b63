"""The app database engine and sessions (async SQLAlchemy under SQLModel)."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import sqlalchemy
from sqlalchemy import Executable, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as SqlAlchemyAsyncSession
from sqlmodel import Session as SyncSession
from sqlmodel.ext.asyncio.session import AsyncSession

P = ParamSpec("P")
T = TypeVar("T")
Work = Callable[[SyncSession], T]
# A batch of reads: each statement's rows, under the name the caller gave it, each row a
# named tuple of the statement's columns (``row.stage``; an entity by its class name).
Batch = dict[str, list[Any]]

# SQLAlchemy's own execute: sqlmodel's marks it deprecated (a warning on every call), and
# its exec() would turn one-entity selects into scalars.
_execute = sqlalchemy.orm.Session.execute
_execute_async = SqlAlchemyAsyncSession.execute


class Db(AsyncSession):
    """How a request, a command or the reply server reaches the app DB: one unit of work.

    ORM work as on any async session, committed once (``unit_of_work``, or the request's
    dependency); ``read`` runs a named batch of read-only statements (on SQLite in one hop
    to a thread, one snapshot; on PostgreSQL in this session's transaction, where each
    statement sees what had committed when it began); ``run`` runs a plain function over
    the sync Session in this transaction, such as the running totals the worker's
    activities keep too.
    """

    def __init__(self, *args: Any, reads: OneHop | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reads = reads

    async def read(self, params: dict[str, Any], **statements: Executable) -> Batch:
        """Each statement's rows by name, with ``params`` bound (statements are built once).

        Only for reads: on SQLite the batch does not see this session's uncommitted writes.
        """
        if self._reads is None:
            return {
                name: _named(await _execute_async(self, s, params))
                for name, s in statements.items()
            }
        return await self._reads.run(
            lambda session: {
                name: _named(_execute(session, s, params)) for name, s in statements.items()
            }
        )

    async def run(
        self, fn: Callable[Concatenate[SyncSession, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` on this session's own (sync) Session, in its transaction.

        The plain functions shared with the worker (cpd/census.py, cpd/counters.py) take a
        sqlmodel Session, which is what an AsyncSession of sqlmodel's hands them;
        SQLAlchemy's annotations only promise its base class.
        """
        return await self.run_sync(cast(Callable[..., T], fn), *args, **kwargs)


Sessionmaker = async_sessionmaker[Db]


def _named(result: sqlalchemy.Result[Any]) -> list[Any]:
    # Named tuples, not SQLAlchemy's Rows: a Row's field read by name costs many times a
    # named tuple's (docs/BENCHMARKS.md), and a leader's status reads hundreds of them.
    return list(map(_row_type(tuple(result.keys()))._make, result))


@lru_cache(maxsize=256)
def _row_type(columns: tuple[str, ...]) -> type[Any]:
    return namedtuple("Row", columns, rename=True)  # noqa: PYI024


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


class OneHop:
    """SQLite only: a function over a sync Session as one transaction, in one hop to a thread.

    Why not the async session: every await on aiosqlite is a hop to its thread and
    back, several per statement, and on a small machine a hop costs ~0.1 ms; a leader's
    status or a participant's projection was mostly waiting. Here the whole transaction
    is one hop, on the stdlib driver. asyncpg (PostgreSQL) has no such hops: there the
    callers use the async session instead.
    """

    def __init__(self, url: sqlalchemy.URL, begin: str, own_thread: bool = False) -> None:
        self._engine = _one_hop_engine(url, begin)
        # Writes take turns on a thread of their own; reads share the default pool.
        self._thread = (
            ThreadPoolExecutor(1, thread_name_prefix="sqlite-writes") if own_thread else None
        )

    async def run(self, work: Work[T]) -> T:
        """``work(session)`` in one transaction: committed if it returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._in_one_transaction, work)

    def _in_one_transaction(self, work: Work[T]) -> T:
        with SyncSession(self._engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    def close(self) -> None:
        self._engine.dispose()
        if self._thread is not None:
            self._thread.shutdown()


def one_hop_reads(engine: AsyncEngine) -> OneHop | None:
    """Where a ``Db``'s batches of reads run: one hop on SQLite, None (the session) elsewhere."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    return OneHop(engine.url, "BEGIN")


# PostgreSQL: a transaction that only reads, as one snapshot (it never has to be retried).
_SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


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
    On PostgreSQL the same function runs through a ``Db``'s ``run``: asyncpg has no hops
    to save. There a read runs at REPEATABLE READ, so it is one snapshot too (by default
    each statement would see what committed since the last); writes keep the default,
    READ COMMITTED, where a row's concurrent writers wait for each other rather than
    fail. Only plain values should leave ``fn``.
    """

    def __init__(self, sessionmaker: Sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        engine: AsyncEngine = sessionmaker.kw["bind"]
        self._writer: OneHop | None = None
        self._reader: OneHop | None = None
        if engine.url.get_backend_name() == "sqlite":
            self._writer = OneHop(engine.url, "BEGIN IMMEDIATE", own_thread=True)
            self._reader = OneHop(engine.url, "BEGIN")

    async def write(
        self, fn: Callable[Concatenate[SyncSession, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in one transaction, committed if it returns."""
        return await self._run(self._writer, lambda session: fn(session, *args, **kwargs))

    async def read(
        self, fn: Callable[Concatenate[SyncSession, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in one read-only snapshot."""
        return await self._run(self._reader, lambda s: fn(s, *args, **kwargs), _SNAPSHOT)

    async def _run(
        self, hop: OneHop | None, work: Work[T], options: dict[str, Any] | None = None
    ) -> T:
        if hop is not None:
            return await hop.run(work)
        async with unit_of_work(self._sessionmaker) as db:
            if options:
                await db.connection(execution_options=options)  # before the transaction begins
            return await db.run(work)

    def close(self) -> None:
        for hop in (self._writer, self._reader):
            if hop is not None:
                hop.close()


def create_sessionmaker(engine: AsyncEngine, reads: OneHop | None = None) -> Sessionmaker:
    """Sessions of the ``Db`` kind; ``reads`` is where their batches run (``one_hop_reads``)."""
    return async_sessionmaker(engine, class_=Db, expire_on_commit=False, reads=reads)


@asynccontextmanager
async def unit_of_work(sessionmaker: Sessionmaker) -> AsyncIterator[Db]:
    """One transaction: commits on success, rolls back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
