"""Real servers for the tests: Temporal (time-skipping and dev), SMTP, SQLite.

- ``time_env``: Temporal's time-skipping test server (Java, from Maven
  Central, or the SDK's download): a year of timers passes in seconds.
- ``dev_env``: the Temporal dev server (the ``temporal`` CLI), with our
  search attributes, where visibility or persistence matters.
- ``smtp``: aiosmtpd on a free loopback port; tests read what arrived.
- ``stack``: the app wired to one of those servers: a fresh SQLite DB, a
  school with an API key, a worker on its own task queue, and the FastAPI app
  behind an httpx client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from devtools import temporal_envs
from tests.support.inbox import SmtpServer
from tests.support.stack import TEST_CONVERTER, StackFactory, running_stack


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    async with temporal_envs.time_skipping(TEST_CONVERTER) as env:
        yield env


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    async with temporal_envs.dev_server(TEST_CONVERTER) as env:
        yield env


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def ts_stack(time_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpServer) -> StackFactory:
    """A stack on the time-skipping server; call it with an optional school calendar."""
    return lambda calendar=None, **kw: running_stack(
        time_env.client, tmp_path, smtp, calendar, clock=time_env.get_current_time, **kw
    )


@pytest.fixture
def dev_stack(dev_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpServer) -> StackFactory:
    """A stack on the dev server; the school is open all hours unless told otherwise."""
    return lambda calendar=None, **kw: running_stack(
        dev_env.client, tmp_path, smtp, calendar or SchoolCalendar.always_open(), **kw
    )
