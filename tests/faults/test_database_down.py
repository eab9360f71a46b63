"""The app's PostgreSQL server stopped and started again under a running service."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from cpd.db import create_engine
from cpd.schema import migrate
from devtools.postgres import PostgresServer, postgres_bin, start_postgres
from tests.faults.tally import TALLY
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import SmtpServer, links_of
from tests.support.stack import running_stack

TEACHERS = [{"name": f"Teacher {n}", "email": f"t{n}@hillside.example"} for n in range(6)]


@pytest.fixture
def cluster() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this test's own, so stopping it disturbs no other test."""
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL")
    # Reachable by the unprivileged user the cluster runs as when we are root.
    folder = Path(tempfile.mkdtemp(prefix="cpd-faults-postgres-"))
    server = start_postgres(folder)
    try:
        yield server
    finally:
        with contextlib.suppress(RuntimeError):  # already stopped by a failed test
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def recipients(messages: list[EmailMessage]) -> list[str]:
    return [str(m["To"]).split("<")[-1].rstrip(">") for m in messages]


async def test_the_database_down_gives_503_and_everything_completes_once_it_is_back(
    dev_env: WorkflowEnvironment, cluster: PostgresServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    cluster.create_database("app")
    url = cluster.url("app")
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()
    async with running_stack(
        dev_env.client, tmp_path, smtp, SchoolCalendar.always_open(), database_url=url
    ) as s:
        body = event("during", TEACHERS, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        first = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert first.status_code == 201
        await s.smtp.inbox.wait_for(1, timeout=60)
        check_in = links_of(s.smtp.inbox.messages[0])[0]
        # Down while the fan-out and the sends are under way.
        cluster.stop()
        TALLY.fault("database down")
        listed = await s.api.get("/v1/events", headers=s.auth())
        assert listed.status_code == 503, listed.text
        assert listed.headers["Retry-After"].isdigit()
        assert "retry" in listed.json()["detail"].lower()
        # A teacher opening their check-in meanwhile gets a page, not the API's JSON.
        busy = await s.api.get(check_in.removeprefix(s.settings.public_base_url))
        assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit()
        assert busy.headers["content-type"].startswith("text/html")
        assert "Please try again in a minute" in busy.text
        later = event("after", TEACHERS[:2], plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        refused = await s.api.post("/v1/events", json=later, headers=s.auth())
        assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
        await asyncio.sleep(5)  # activities fail and retry meanwhile
        start_postgres(cluster.data_dir, cluster.port)

        # Back: the refused request, repeated, is taken; everyone gets each email once.
        retried = await s.api.post("/v1/events", json=later, headers=s.auth())
        assert retried.status_code == 201, retried.text
        expected = [t["email"] for t in TEACHERS] + [t["email"] for t in TEACHERS[:2]]
        await s.smtp.inbox.wait_for(len(expected), timeout=120)
        await asyncio.sleep(3)  # room for a duplicate
        delivered = recipients(s.smtp.inbox.messages)
        TALLY.emails(expected, delivered)
        assert sorted(delivered) == sorted(expected)
        events = (await s.api.get("/v1/events", headers=s.auth())).json()["items"]
        assert sorted(e["reference"] for e in events) == ["after", "during"]
