"""The FastAPI app: triggers, teachers' answer pages, leaders' status, dev mailbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from temporalio.client import Client

from api.deps import Resources
from api.errors import install_error_handlers
from api.routes import answers, events, mailbox, participants
from cpd.db import create_engine, create_sessionmaker, create_tables
from cpd.settings import Settings, get_settings
from cpd.temporal import connect
from cpd.worker import link_signer

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        await create_tables(engine)
        app.state.resources = Resources(
            settings=settings,
            sessionmaker=create_sessionmaker(engine),
            client=client or await connect(settings),
            signer=link_signer(settings),
            templates=TEMPLATES,
        )
        yield
        await engine.dispose()

    app = FastAPI(
        title="cpd-followthrough",
        description="Follow-through for teachers' CPD: timed prompts, check-ins and impact checks.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(events.router)
    app.include_router(participants.router)
    app.include_router(answers.router)
    if settings.dev_mailbox_dir is not None:
        app.include_router(mailbox.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    return app
