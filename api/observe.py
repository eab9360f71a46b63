"""What the API tells an operator: a request id on every request and log line, latency
by route for Prometheus, ``/metrics``, and (when configured) OpenTelemetry spans."""

from __future__ import annotations

import re
import time
import uuid

from fastapi import FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cpd import logs, metrics

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestMetrics:
    """Times each request by its route template (never its path: paths carry ids and
    tokens), and gives it a request id: the caller's X-Request-ID if sane, else a new one."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = logs.REQUEST_ID.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.HTTP_SECONDS.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )
            logs.REQUEST_ID.reset(token)


async def log_context(request: Request) -> None:
    """Each route's log lines name the event it is about (the school: api/deps.py)."""
    event_id = request.path_params.get("event_id")
    if isinstance(event_id, str):
        logs.EVENT_ID.set(event_id)


def install(app: FastAPI, provider: TracerProvider | None) -> None:
    app.add_middleware(RequestMetrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    if provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
