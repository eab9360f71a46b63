"""/healthz says the process is alive; /readyz that the database and Temporal answer."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from cpd.db import create_engine
from tests.support.inbox import SmtpServer, free_port
from tests.support.stack import StackFactory, running_stack


async def test_ready_when_the_database_and_temporal_answer(dev_stack: StackFactory) -> None:
    async with dev_stack(in_process_worker=False) as s:
        ready = await s.api.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}

        # The database without the app's tables (restored empty, or not migrated yet).
        database = create_engine(s.settings.resolved_database_url)
        async with database.begin() as conn:
            await conn.exec_driver_sql("ALTER TABLE school RENAME TO school_away")
        try:
            down = await s.api.get("/readyz")
        finally:
            async with database.begin() as conn:
                await conn.exec_driver_sql("ALTER TABLE school_away RENAME TO school")
            await database.dispose()
        assert down.status_code == 503 and down.headers["Retry-After"] == "5"
        assert down.json()["detail"] == "Not answering: database."
        assert (await s.api.get("/healthz")).status_code == 200
        assert (await s.api.get("/readyz")).status_code == 200


async def test_not_ready_without_temporal(
    tmp_path: Path, smtp: SmtpServer, database_url: str
) -> None:
    # A client for a Temporal server that is not there: connected lazily, as after a restart.
    gone = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    async with running_stack(
        gone, tmp_path, smtp, database_url=database_url, in_process_worker=False
    ) as s:
        down = await s.api.get("/readyz")
        assert down.status_code == 503 and "Retry-After" in down.headers
        assert down.json() == {
            "error": "not_ready",
            "detail": "Not answering: temporal.",
            "fields": [],
        }
        alive = await s.api.get("/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
