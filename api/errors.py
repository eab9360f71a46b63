"""One error shape for the whole API: ``{"error": code, "detail": message}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError


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


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, detail: str, fields: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.fields = fields or []


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries that document the shared error shape."""
    return {code: {"model": ErrorBody} for code in codes}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(error=exc.error, detail=exc.detail, fields=exc.fields)
        return JSONResponse(body.model_dump(), status_code=exc.status)

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
    async def _temporal_down(_: Request, exc: RPCError) -> JSONResponse:
        # Every write path is idempotent, so the caller can simply retry.
        body = ErrorBody(
            error="temporarily_unavailable",
            detail=(
                f"The workflow service did not answer ({exc.status.name}); "
                "please retry: repeating the request is safe."
            ),
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return JSONResponse(
            ErrorBody(error=code, detail=str(exc.detail)).model_dump(),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
