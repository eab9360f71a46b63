"""The production topology, on one machine: Temporal's own server on PostgreSQL.

Once per session: a PostgreSQL cluster (devtools/postgres.py) and ``temporal-server``
on it with SQL visibility (devtools/temporal_server.py). Per test (``deployed``): the
app's own database on that cluster, the API (in this process, behind httpx), two
worker processes and the reply server, all as deployed (``cpd worker``, ``cpd
inbound``), sending to a test SMTP server.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from cpd.calendar import SchoolCalendar
from cpd.db import create_engine
from cpd.schema import migrate
from devtools import servers
from devtools.postgres import postgres_bin, start_postgres
from devtools.temporal_server import Login, temporal_server
from tests.support.databases import PostgresDatabases
from tests.support.inbox import SmtpServer, free_port
from tests.support.processes import start_inbound, stop
from tests.support.production import Deployment, DeploymentFactory, Production
from tests.support.stack import TEST_CONVERTER, running_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.production)


@pytest.fixture(scope="session")
async def production(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Production]:
    programs = servers.production_temporal()
    if programs is None or postgres_bin() is None:
        pytest.skip("no Temporal server build (needs Go) or no PostgreSQL")
    # The cluster runs as an unprivileged user when we are root: a folder it can reach.
    # Not pytest's tmp (private to us), nor data/ (a checkout may sit in a private folder).
    cluster = Path(tempfile.mkdtemp(prefix="cpd-production-postgres-"))
    postgres = start_postgres(cluster)
    try:
        home = tmp_path_factory.mktemp("temporal-server")  # its config and log stay here
        login = Login.of_url(postgres.url("postgres"))
        async with temporal_server(programs, home, login) as temporal:
            client = await Client.connect(temporal.address, data_converter=TEST_CONVERTER)
            # The app's tables come from the migrations, once, into a template that each
            # test's database copies (as tests/support/databases.py does for the suite).
            template = "cpd_test_template"
            postgres.create_database(template)
            engine = create_engine(postgres.url(template))
            await migrate(engine)
            await engine.dispose()  # a template with a connection open cannot be copied
            yield Production(postgres, temporal, client, PostgresDatabases(postgres, template))
    finally:
        postgres.stop()
        shutil.rmtree(cluster, ignore_errors=True)


@pytest.fixture
def deployed(production: Production, tmp_path: Path, smtp: SmtpServer) -> DeploymentFactory:
    """``async with deployed(workers=2, **settings) as d``: a fresh app database, the API,
    that many worker processes and the reply server; the school is open all hours."""

    @asynccontextmanager
    async def deployment(workers: int = 2, **overrides: Any) -> AsyncIterator[Deployment]:
        # Workers at normal priority: the deployed default (nice 10) lets the Temporal
        # server come first on a machine of its own, but on a shared one it hands the
        # workers' CPU to whatever else runs there, and the tier's time with it.
        overrides = {"worker_nice": 0, **overrides}
        with production.databases.fresh(tmp_path) as database_url:
            async with running_stack(
                production.client,
                tmp_path,
                smtp,
                SchoolCalendar.always_open(),
                in_process_worker=False,
                database_url=database_url,
                temporal_address=production.temporal.address,
                inbound_smtp_port=free_port(),
                **overrides,
            ) as s:
                d = Deployment(s, production, tmp_path)
                try:
                    for _ in range(workers):
                        d.start_worker()
                    d.inbound = start_inbound(s.settings, tmp_path / "inbound.log")
                    await d.polling()
                    yield d
                finally:
                    for process in [*d.workers, *([d.inbound] if d.inbound else [])]:
                        stop(process)

    return deployment
