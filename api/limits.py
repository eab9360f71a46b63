"""Request bodies refused past their route's limit, counted as they arrive.

Content-Length alone cannot be trusted: a chunked body has none, and was read in full
(spooled to disk) before a route could refuse it. Here every chunk is counted on its way
in, and the 413 goes out as soon as the count passes the limit: the route never gets the
body, so nothing is changed. A declared length past the limit is refused before any of it
is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorBody
from api.pages import problem
from cpd import ics
from cpd.settings import Settings
from services.rosters import MAX_CSV_BYTES

KB, MB = 1024, 1024 * 1024
# A form's own fields and multipart framing, on top of the file it carries: a file just
# over its limit still reaches the route, whose own check says exactly what is wrong.
FORM_SLACK = 256 * KB
# Everything else: JSON bodies (a calendar of 500 closures is about 90 KB) and forms.
DEFAULT_LIMIT = 256 * KB


@dataclass(frozen=True)
class BodyLimit:
    pattern: re.Pattern[str]
    limit: int


def body_limits(settings: Settings) -> list[BodyLimit]:
    """Each route that takes more than the default, by path; the first match wins."""
    routes = [
        # A teacher's answer or portfolio, with an evidence file.
        (r"/a/[^/]+|/p/[^/]+/evidence", settings.evidence_max_bytes),
        # Staff rosters, as CSV or as JSON (the same people, written longer).
        (
            r"/v1/rosters/check|/v1/events\.csv|/v1/events/preview\.csv"
            r"|/v1/events/[^/]+/participants\.csv",
            MAX_CSV_BYTES,
        ),
        (r"/v1/events|/v1/events/preview|/v1/events/[^/]+/participants", MAX_CSV_BYTES),
        # A new follow-through from the dashboard: a roster file, or its people sent back.
        (r"/dashboard/new/(preview|confirm)", MAX_CSV_BYTES),
        # A school's calendar: the .ics, and the previewed dates sent back (URL-encoded JSON).
        (r"/v1/school/calendar\.ics|/dashboard/calendar/(preview|apply)", ics.MAX_BYTES),
    ]
    return [BodyLimit(re.compile(path), limit + FORM_SLACK) for path, limit in routes]


class BodySizeLimit:
    """ASGI middleware: a 413 once a request body passes its route's limit."""

    def __init__(
        self, app: ASGIApp, limits: Sequence[BodyLimit], default: int = DEFAULT_LIMIT
    ) -> None:
        self.app = app
        self.limits = list(limits)
        self.default = default

    def limit_for(self, path: str) -> int:
        found = (rule.limit for rule in self.limits if rule.pattern.fullmatch(path))
        return next(found, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await too_large(scope, limit)(scope, receive, send)
            return
        counted = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal counted, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    refused = True
                    if not started:
                        await too_large(scope, limit)(scope, receive, send)
                    # The app sees a client gone: it stops reading and changes nothing.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to a body it never had in full: the 413 went
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Whatever the app raised about its missing body, the 413 has answered.
            if not refused:
                raise


def too_large(scope: Scope, limit: int) -> Response:
    size = f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"
    message = f"That is too big to send here: the limit is {size}."
    if scope["path"].startswith("/v1/"):
        body = ErrorBody(error="too_large", detail=message)
        return JSONResponse(body.model_dump(), status_code=413, headers={"Connection": "close"})
    response = problem(Request(scope), message, 413)
    response.headers["Connection"] = "close"
    return response
