"""Whether this process can do its work: the database and Temporal both answer.

The API's /readyz asks it, so a load balancer or orchestrator sends requests only to a
process that can serve them; /healthz (the process is alive) asks nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select
from temporalio.client import Client

from cpd.db import Sessionmaker, unit_of_work
from cpd.models import School

# A read of a real table: "SELECT 1" would pass on SQLite with the file gone bad, and on
# any database before its tables exist.
PING = select(School.id).limit(1)


async def not_answering(
    sessionmaker: Sessionmaker, client: Client, seconds: float = 2.0
) -> list[str]:
    """What does not answer within ``seconds``: "database", "temporal"; empty when ready."""
    database, temporal = await asyncio.gather(
        _database(sessionmaker, seconds), _temporal(client, seconds)
    )
    return [name for name, ok in (("database", database), ("temporal", temporal)) if not ok]


async def _database(sessionmaker: Sessionmaker, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds), unit_of_work(sessionmaker) as db:
            await db.read({}, ping=PING)
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
    return True


async def _temporal(client: Client, seconds: float) -> bool:
    try:
        return await client.service_client.check_health(timeout=timedelta(seconds=seconds))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
