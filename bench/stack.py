"""The product wired as in production, in one process: app, worker, SQLite, SMTP.

The same wiring as tests/conftest.py's ``running_stack``, minus two things a
benchmark cannot afford: terminating every participant one by one on the way
out (5,000 sequential RPCs; the servers are thrown away instead) and the
in-process SMTP server (see bench/smtp_sink.py).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from cpd import admin
from cpd.calendar import SchoolCalendar
from cpd.db import Sessionmaker, create_engine, create_sessionmaker, create_tables
from cpd.settings import Settings
from cpd.worker import build_worker


@dataclass
class Stack:
    settings: Settings
    engine: AsyncEngine  # the worker's (the app has its own, from its lifespan)
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
async def app_stack(
    client: Client,
    data_dir: Path,
    smtp_port: int,
    calendar: SchoolCalendar | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    settings = Settings(
        environment="test",
        data_dir=data_dir,  # SQLite app.db in a temporary directory
        secret_key=secrets.token_urlsafe(32),
        public_base_url="http://bench",
        smtp_port=smtp_port,
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        mail_reply_domain="cpd.bench",
        **overrides,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    await create_tables(engine)
    db = create_sessionmaker(engine)
    # A fresh school per stack, so stacks may share one database (CPD_DATABASE_URL).
    school_id = f"bench-{uuid.uuid4().hex[:8]}"
    await admin.create_school(db, school_id, "Bench Academy", calendar)
    key = await admin.create_key(db, school_id, "bench")
    app = create_app(settings, client)
    async with (
        app.router.lifespan_context(app),
        build_worker(client, settings, db),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as api,
    ):
        yield Stack(settings, engine, db, api, {"Authorization": f"Bearer {key}"})
    await engine.dispose()
