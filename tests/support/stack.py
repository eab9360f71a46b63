"""The app wired to a Temporal server for a test: ``running_stack`` and its ``Stack``.

A fresh database (tests/support/databases.py), a school with an API key, a worker
on its own task queue, and the FastAPI app behind an httpx client. The fixtures in conftest.py
(``ts_stack``, ``dev_stack``) hand tests a ``StackFactory`` over these.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr
from sqlmodel import select
from temporalio.client import Client
from temporalio.service import RPCError

from api.app import create_app, wall_clock
from api.deps import Clock
from cpd.calendar import SchoolCalendar
from cpd.db import Sessionmaker, create_engine, create_sessionmaker
from cpd.models import API_KEY_SCOPES, Participant
from cpd.security import LinkSigner, link_signer
from cpd.settings import Settings
from cpd.temporal import data_converter
from run.worker import build_worker
from services import admin
from tests.support.inbox import SmtpServer

TEST_SECRET = "test-secret-" + "x" * 32
# What the test servers' clients encode with: the same key a worker process of the tests
# derives from TEST_SECRET, as production's processes do from theirs.
TEST_CONVERTER = data_converter(Settings(environment="test", secret_key=SecretStr(TEST_SECRET)))


@dataclass
class Stack:
    settings: Settings
    client: Client
    db: Sessionmaker
    api: httpx.AsyncClient
    smtp: SmtpServer
    school_id: str
    key: str
    signer: LinkSigner
    app: FastAPI

    async def new_school(self, calendar: SchoolCalendar | None = None) -> tuple[str, str]:
        """Another school on the same stack: (school id, API key)."""
        school_id = unique("school")
        await admin.create_school(self.db, school_id, f"School {school_id}", calendar)
        return school_id, await admin.create_key(self.db, school_id, "test", API_KEY_SCOPES)

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_settings(tmp: Path, smtp_port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp,
        "secret_key": TEST_SECRET,
        "public_base_url": "http://testserver",
        "smtp_port": smtp_port,
        "task_queue": unique("test"),
        "mail_reply_domain": "cpd.test",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def running_stack(
    client: Client,
    tmp: Path,
    smtp: SmtpServer,
    calendar: SchoolCalendar | None = None,
    *,
    database_url: str,
    in_process_worker: bool = True,
    clock: Clock = wall_clock,
    tracing: TracerProvider | None = None,
    terminate_at_end: bool = True,
    **overrides: object,
) -> AsyncIterator[Stack]:
    settings = make_settings(tmp, smtp.port, database_url=database_url, **overrides)
    engine = create_engine(settings.resolved_database_url)
    db = create_sessionmaker(engine)
    # Unique ids: the dev server is shared by every test in the session.
    school_id = unique("school")
    await admin.create_school(db, school_id, "Hillside Academy", calendar)
    key = await admin.create_key(db, school_id, "test", API_KEY_SCOPES)
    app = create_app(settings, client, clock, tracing)
    transport = httpx.ASGITransport(app=app)
    worker = build_worker(client, settings, db) if in_process_worker else nullcontext()
    async with (
        app.router.lifespan_context(app),
        worker,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as api,
    ):
        try:
            yield Stack(settings, client, db, api, smtp, school_id, key, link_signer(settings), app)
        finally:
            if terminate_at_end:  # not on a server of the test's own, killed after it
                await end_workflows(client, db)
    await engine.dispose()


async def end_workflows(client: Client, db: Sessionmaker) -> None:
    """Terminate what a test left running: the servers outlive it, and on the
    time-skipping server a woken workflow with no worker would stall the clock."""
    async with db() as session:
        ids = [p.workflow_id for p in (await session.exec(select(Participant))).all()]
    for workflow_id in ids:
        with suppress(RPCError):
            await client.get_workflow_handle(workflow_id).terminate("test finished")


StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]
