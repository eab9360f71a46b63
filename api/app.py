"""The FastAPI app: triggers, teachers' answer pages, leaders' status, dev mailbox."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from activities.smtp import SmtpSender
from api import observe
from api import openapi as documented
from api.access_log import hide_tokens_from_access_log
from api.deps import Clock, Resources, ResourcesDep
from api.errors import ErrorBody, error_responses, install_error_handlers
from api.headers import SecurityHeaders
from api.limits import BodySizeLimit, body_limits
from api.routes import (
    answers,
    dashboard,
    events,
    leader_links,
    participants,
    plans,
    portfolio,
    rosters,
    school,
    signin,
)
from api.sessions import Sessions
from cpd import logs
from cpd.db import create_engine, create_sessionmaker, one_hop_reads
from cpd.schema import require_current
from cpd.security import link_signer
from cpd.settings import Settings, get_settings
from cpd.temporal import connect
from cpd.tracing import temporal_interceptors, tracer_provider
from services import health
from services.links import FreshLinks
from services.ratelimit import RateLimiter


async def wall_clock() -> datetime:
    return datetime.now(UTC)


def serve_app() -> FastAPI:
    """The app as a process serves it (uvicorn --factory): its logs set up first."""
    settings = get_settings()
    logs.setup("api", settings.json_logs)
    return create_app(settings)


def create_app(
    settings: Settings | None = None,
    client: Client | None = None,
    clock: Clock = wall_clock,
    tracing: TracerProvider | None = None,
) -> FastAPI:
    """The app; ``clock`` is what "now" is for a trigger's dates (a test server's clock in
    tests that skip time); ``tracing``: where spans go (by default from CPD_OTEL_ENDPOINT)."""
    settings = settings or get_settings()
    tracing = tracing or tracer_provider(settings.otel_endpoint, "api")
    hide_tokens_from_access_log()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        await require_current(engine)  # `cpd migrate` upgrades it; nothing here does
        reads = one_hop_reads(engine)
        limiter = RateLimiter()
        app.state.resources = Resources(
            settings=settings,
            sessionmaker=create_sessionmaker(engine, reads),
            client=client or await connect(settings, temporal_interceptors(tracing)),
            signer=link_signer(settings),
            sessions=Sessions(
                settings.verifying_secrets, settings.public_base_url.startswith("https")
            ),
            mailer=SmtpSender(settings),
            clock=clock,
            limiter=limiter,
            fresh_links=FreshLinks(limiter),
        )
        # Everything made so far lives as long as the app: keep it out of the garbage
        # collector's full passes, which otherwise walk it all, mid-request, now and then.
        gc.freeze()
        yield
        await app.state.resources.mailer.close()
        if reads is not None:
            reads.close()
        await engine.dispose()

    app = FastAPI(
        title="cpd-followthrough",
        description="Follow-through for teachers' CPD: timed prompts, check-ins and impact checks.",
        version="0.1.0",
        lifespan=lifespan,
        # A bad request gets the one error shape too (install_error_handlers), not
        # FastAPI's own: document it so wherever FastAPI would document its own.
        responses=error_responses(422),
        dependencies=[Depends(observe.log_context)],
    )
    install_error_handlers(app)

    app.add_middleware(BodySizeLimit, limits=body_limits(settings))
    # Added after, so outside: the body limit's 413 page gets the headers too, and a
    # request id and its time (observe.install, outermost).
    app.add_middleware(SecurityHeaders)
    observe.install(app, tracing)

    app.include_router(rosters.router)
    app.include_router(events.router)
    app.include_router(participants.router)
    app.include_router(school.router)
    app.include_router(plans.router)
    app.include_router(answers.router)
    app.include_router(portfolio.router)
    app.include_router(signin.router)
    app.include_router(signin.chooser)
    app.include_router(dashboard.router)
    app.include_router(leader_links.router)
    if settings.dev_mailbox_dir is not None:
        from api.routes import mailbox  # development only: never imported in production

        app.include_router(mailbox.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up (it asks nothing else, so a slow database or
        Temporal never gets a live process restarted)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], response_model=None, responses=error_responses(503))
    async def readyz(res: ResourcesDep) -> JSONResponse:
        """Readiness: the database and Temporal both answer; 503 with Retry-After if not."""
        down = await health.not_answering(res.sessionmaker, res.client)
        if down:
            body = ErrorBody(error="not_ready", detail=f"Not answering: {', '.join(down)}.")
            return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ready"})

    documented.install(app, clock)
    return app
