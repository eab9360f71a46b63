"""One error shape for the whole API (``{"error": code, "detail": message}``), and the
teachers' pages' problem page for a bad link or a refused file."""

from __future__ import annotations

from typing import Any

import aiosmtplib
import asyncpg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from temporalio.service import RPCError

from api.csrf import StaleForm
from api.pages import problem
from cpd.evidence import EvidenceRejected
from cpd.security import LinkError
from services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Refused,
    TooLarge,
    TooMany,
    Unauthorized,
)


class ErrorBody(BaseModel):
    error: str
    detail: str
    fields: list[dict[str, Any]] = []

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"error": "not_found", "detail": "No such event.", "fields": []},
                {
                    "error": "invalid_request",
                    "detail": "participants.1.email: value is not a valid email address",
                    "fields": [
                        {
                            "field": "participants.1.email",
                            "message": "value is not a valid email address",
                        }
                    ],
                },
            ]
        }
    }


# What each kind of refusal is over HTTP.
STATUS: dict[type[Refused], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Invalid: 422,
    TooMany: 429,
}


def status_of(exc: Refused) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries that document the shared error shape."""
    return {code: {"model": ErrorBody} for code in codes}


# The app's database (or, for ConnectionError, whatever the request had to reach) did not
# answer: refused, reset, starting up or shutting down. A retry later will do.
UNREACHABLE: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    ConnectionError,
    # Every pooled connection busy for the pool's whole wait: try again shortly.
    sqlalchemy.exc.TimeoutError,
)
RETRY_AFTER = "5"
BUSY_PAGE = (
    "We could not finish this just now: the service is busy. Please try again in a "
    "minute. If you were answering a check-in, sending it again is safe: your answer "
    "is counted once."
)


def _busy(request: Request, what: str) -> Response:
    """503 with Retry-After: the API's error shape under /v1, a page everywhere else
    (a teacher answering from an email, a leader on the dashboard)."""
    headers = {"Retry-After": RETRY_AFTER}
    if not request.url.path.startswith("/v1/"):
        response = problem(request, BUSY_PAGE, 503)
        response.headers.update(headers)
        return response
    body = ErrorBody(
        error="temporarily_unavailable",
        detail=f"{what}; please retry: repeating the request is safe.",
    )
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        body = ErrorBody(error=exc.code, detail=exc.detail, fields=exc.fields)
        return JSONResponse(body.model_dump(), status_code=status_of(exc))

    @app.exception_handler(TooMany)
    async def _too_many(request: Request, exc: TooMany) -> Response:
        # Only pages are limited so far: the answer is a page that says when to try again.
        wait = f"{exc.retry_after // 60 + 1} minutes" if exc.retry_after > 60 else "a minute"
        response = problem(request, f"{exc.detail} Please try again in {wait}.", 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    # Teachers' pages: a bad link or a refused file is a clear page that changes nothing.
    @app.exception_handler(LinkError)
    async def _bad_link(request: Request, exc: LinkError) -> Response:
        # What a teacher can still do: their portfolio, from a fresh link.
        status = 410 if exc.expired else 400
        return problem(request, exc.reason, status, language=exc.language, fresh_link=True)

    @app.exception_handler(StaleForm)
    async def _stale_form(request: Request, _: StaleForm) -> Response:
        message = (
            "This form has expired, or was not sent from this dashboard. "
            "Please go back, reload the page and try again."
        )
        return problem(request, message, 403)

    @app.exception_handler(EvidenceRejected)
    async def _refused_file(request: Request, exc: EvidenceRejected) -> Response:
        return problem(request, exc.reason, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body"),
                # Our own validators' messages are written for people; drop pydantic's prefix.
                "message": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        body = ErrorBody(error="invalid_request", detail=detail, fields=fields)
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(RPCError)
    async def _temporal_down(request: Request, exc: RPCError) -> Response:
        # Every write path is idempotent, so the caller can simply retry.
        return _busy(request, f"The workflow service did not answer ({exc.status.name})")

    async def _unreachable(request: Request, exc: Exception) -> Response:
        what = "mail server" if isinstance(exc, aiosmtplib.SMTPException) else "database"
        # Each write is one transaction, so a request cut short here changed nothing.
        return _busy(request, f"The {what} did not answer")

    for kind in UNREACHABLE:
        app.add_exception_handler(kind, _unreachable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            400: "unreadable_body",  # FastAPI's: a body that is not JSON or not multipart
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
        }.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(
            ErrorBody(error=code, detail=str(exc.detail)).model_dump(),
            status_code=exc.status_code,
            headers=headers,
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path. Starlette's own 405 names only the
    first route that matched the path, though GET and PUT, say, are separate routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)
