"""Real servers for the tests: Temporal (time-skipping and dev), SMTP, SQLite, PostgreSQL.

- ``time_env``: Temporal's time-skipping test server (Java, from Maven
  Central, or the SDK's download): a year of timers passes in seconds.
- ``dev_env``: the Temporal dev server (the ``temporal`` CLI), with our
  search attributes, where visibility or persistence matters.
- ``own_dev_server``: a dev server of the test's own, persisting to a file, that the
  test may stop and start; ``own_stack``: a stack on one (in memory) for a test that
  leaves so many workflows behind that the shared server would be busy with them for
  the rest of the session.
- ``smtp``: aiosmtpd on a free loopback port; tests read what arrived.
- ``database_url``: a fresh app database with its tables; every test that uses
  one (the stacks do) runs on SQLite and on PostgreSQL, or on the one ``--db`` names
  (tests/support/databases.py).
- ``stack``: the app wired to one of those servers: a fresh database, a
  school with an API key, a worker on its own task queue, and the FastAPI app
  behind an httpx client.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from devtools import temporal_envs
from tests.support.databases import (
    BACKENDS,
    Databases,
    postgres_databases,
    sqlite_databases,
)
from tests.support.dev_server import DevServer
from tests.support.inbox import SmtpServer
from tests.support.stack import TEST_CONVERTER, StackFactory, running_stack


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=(*BACKENDS, "both"),
        default="both",
        help="the app database: tests that use one run once per backend (default: both)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "databases" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("db")
        backends = BACKENDS if chosen == "both" else (chosen,)
        metafunc.parametrize("databases", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
async def databases(request: pytest.FixtureRequest) -> AsyncIterator[Databases]:
    if request.param == "sqlite":
        async with sqlite_databases() as sqlite:
            yield sqlite
        return
    async with postgres_databases() as found:
        yield found


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    with databases.fresh(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    async with temporal_envs.time_skipping(TEST_CONVERTER) as env:
        yield env


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    async with temporal_envs.dev_server(TEST_CONVERTER) as env:
        yield env


@pytest.fixture
async def own_dev_server(tmp_path: Path) -> AsyncIterator[DevServer]:
    server = DevServer(tmp_path)
    await server.start()
    yield server
    server.stop(signal.SIGKILL)  # what was left running goes with it


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def ts_stack(
    time_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpServer, database_url: str
) -> StackFactory:
    """A stack on the time-skipping server; call it with an optional school calendar."""
    return lambda calendar=None, **kw: running_stack(
        time_env.client,
        tmp_path,
        smtp,
        calendar,
        database_url=database_url,
        clock=time_env.get_current_time,
        **kw,
    )


@pytest.fixture
def dev_stack(
    dev_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpServer, database_url: str
) -> StackFactory:
    """A stack on the dev server; the school is open all hours unless told otherwise."""
    return lambda calendar=None, **kw: running_stack(
        dev_env.client,
        tmp_path,
        smtp,
        calendar or SchoolCalendar.always_open(),
        database_url=database_url,
        **kw,
    )


@pytest.fixture
async def own_stack(
    tmp_path: Path, smtp: SmtpServer, database_url: str
) -> AsyncIterator[StackFactory]:
    """Like ``dev_stack``, on a dev server of the test's own (in memory): what the test
    starts ends with it."""
    server = DevServer(tmp_path, persist=False)
    await server.start()
    client = await Client.connect(server.address, data_converter=TEST_CONVERTER)
    yield lambda calendar=None, **kw: running_stack(
        client,
        tmp_path,
        smtp,
        calendar or SchoolCalendar.always_open(),
        database_url=database_url,
        terminate_at_end=False,
        **kw,
    )
    server.stop(signal.SIGKILL)
