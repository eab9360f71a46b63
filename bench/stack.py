"""The product wired as in production: app, worker, SQLite, SMTP.

The same wiring as tests/support/stack.py's ``running_stack``, minus two things a
benchmark cannot afford: terminating every participant one by one on the way
out (5,000 sequential RPCs; the servers are thrown away instead) and the
in-process SMTP server (see bench/smtp_sink.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app, wall_clock
from api.deps import Clock
from bench.probes import SLOW_TASKS
from cpd.calendar import SchoolCalendar
from cpd.db import Sessionmaker, create_engine, create_sessionmaker
from cpd.schema import migrate
from cpd.settings import Settings
from cpd.temporal import data_converter
from run.worker import LANES, build_worker
from services import admin

# One secret for every stack and server of a run: the lanes' processes derive their payload
# key from it (cpd.temporal.data_converter), so the servers' clients must too.
SECRET = "bench-secret-" + "b" * 32
CONVERTER = data_converter(Settings(environment="test", secret_key=SECRET))


@dataclass
class Stack:
    settings: Settings
    engine: AsyncEngine  # the in-process worker's (the app has its own, from its lifespan)
    db: Sessionmaker
    api: httpx.AsyncClient
    headers: dict[str, str]

    async def trigger(self, body: dict[str, Any]) -> tuple[httpx.Response, str]:
        """POST the event; (response, event id)."""
        response = await self.api.post("/v1/events", json=body, headers=self.headers)
        if response.status_code != 201:
            raise RuntimeError(f"POST /v1/events: {response.status_code} {response.text[:500]}")
        return response, str(response.json()["id"])


def event_body(participants: int, event_date: date, tag: str) -> dict[str, Any]:
    """A trigger for the default plan with ``participants`` distinct teachers."""
    return {
        "reference": f"bench-{tag}-{uuid.uuid4().hex[:8]}",
        "title": "Retrieval practice",
        "event_date": event_date.isoformat(),
        "participants": [
            {"name": f"Teacher {i}", "email": f"t{i:05d}-{tag}@bench.example"}
            for i in range(participants)
        ],
    }


@asynccontextmanager
async def lane_process(settings: Settings, temporal_address: str, lane: str) -> AsyncIterator[None]:
    """``cpd worker --lane <lane>`` in a process of its own, as docker-compose runs it."""
    env = {**os.environ, **settings.as_environment(temporal_address=temporal_address)}
    command = [sys.executable, "-m", "run.cli", "worker", "--lane", lane]
    pipe = asyncio.subprocess.PIPE
    worker = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=pipe, stderr=pipe, limit=1 << 20
    )
    assert worker.stdout is not None and worker.stderr is not None
    # The SDK core logs to stdout, the process's own logging to stderr.
    reading = asyncio.gather(
        _read_log(worker.stdout, sys.stdout), _read_log(worker.stderr, sys.stderr)
    )
    try:
        await asyncio.sleep(3)  # connected and polling (its log says so) before the POST
        yield
    finally:
        worker.terminate()
        await worker.wait()
        await reading


async def _read_log(stream: asyncio.StreamReader, out: TextIO) -> None:
    """The lane's output on to ours, less the SDK's slow-task warnings, which are counted
    (bench/probes.py) instead: thousands of them would bury the benchmark's output."""
    while line := await stream.readline():
        text = line.decode(errors="replace")
        if not SLOW_TASKS.seen(text):
            out.write(text)


@asynccontextmanager
async def app_stack(
    client: Client,
    data_dir: Path,
    smtp_port: int,
    calendar: SchoolCalendar | None = None,
    deployed: bool = False,
    clock: Clock = wall_clock,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """The app in this process; the worker's lanes here too, or (``deployed``) each in a
    process of its own, as docker-compose runs them. ``clock``: the app's "now" (a
    time-skipping server's, whose clock runs years ahead of the wall's)."""
    settings = Settings(
        environment="test",
        data_dir=data_dir,  # SQLite app.db in a temporary directory
        secret_key=SECRET,
        public_base_url="http://bench",
        smtp_port=smtp_port,
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        mail_reply_domain="cpd.bench",
        **overrides,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    await migrate(engine)
    db = create_sessionmaker(engine)
    # A fresh school per stack, so stacks may share one database (CPD_DATABASE_URL).
    school_id = f"bench-{uuid.uuid4().hex[:8]}"
    await admin.create_school(db, school_id, "Bench Academy", calendar)
    key = await admin.create_key(db, school_id, "bench")
    app = create_app(settings, client, clock)
    async with AsyncExitStack() as running:
        await running.enter_async_context(app.router.lifespan_context(app))
        if deployed:
            address = client.service_client.config.target_host
            for lane in LANES:
                await running.enter_async_context(lane_process(settings, address, lane))
        else:
            await running.enter_async_context(build_worker(client, settings, db))
        transport = httpx.ASGITransport(app=app)
        api = await running.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://bench")
        )
        yield Stack(settings, engine, db, api, {"Authorization": f"Bearer {key}"})
    await engine.dispose()
