"""What FastAPI's generated OpenAPI document leaves out, added so it says what the API does:
the 400 an unreadable body gets, links from a new event to the routes that use its id
(tools such as schemathesis follow them to call those routes with real ids), and the event
dates a trigger takes today."""

from __future__ import annotations

import calendar
import copy
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.routing import Route

from services.schemas import EVENT_DATE_WINDOW
from services.triggers import event_date_window

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}

UNREADABLE = {
    "description": "The body could not be read: not JSON, or not well-formed multipart",
    "content": {"application/json": {"schema": ERROR_REF}},
}

EVENT = "/v1/events/{event_id}"
PARTICIPANT = EVENT + "/participants/{participant_id}"

# (link name, method, path) reached with the id of the event POST /v1/events answers with.
EVENT_LINKS = [
    ("GetEvent", "get", EVENT),
    ("ListParticipants", "get", EVENT + "/participants"),
    ("AddParticipants", "post", EVENT + "/participants"),
    ("AddParticipantsCsv", "post", EVENT + "/participants.csv"),
    ("GetImpact", "get", EVENT + "/impact"),
    ("ExportCsv", "get", EVENT + "/export.csv"),
    ("PauseEvent", "post", EVENT + "/pause"),
    ("ResumeEvent", "post", EVENT + "/resume"),
    ("CancelEvent", "post", EVENT + "/cancel"),
]

# Reached from a page of an event's participants with its first participant's id.
PARTICIPANT_LINKS = [
    ("GetParticipant", "get", PARTICIPANT),
    ("RemoveParticipant", "delete", PARTICIPANT),
    ("PauseParticipant", "post", PARTICIPANT + "/pause"),
    ("ResumeParticipant", "post", PARTICIPANT + "/resume"),
    ("ChangeEmail", "put", PARTICIPANT + "/email"),
    ("AskForSupport", "post", PARTICIPANT + "/support"),
    ("EraseParticipant", "delete", PARTICIPANT + "/data"),
]


def install(app: FastAPI, clock: Callable[[], Awaitable[datetime]]) -> None:
    """The document as of now by ``clock``, the app's "now" for a trigger's dates, at
    /openapi.json; ``app.openapi()`` gives it as of now by the wall clock."""

    def undated() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            complete(document)
            app.openapi_schema = document
        return app.openapi_schema

    @lru_cache(maxsize=2)
    def on(today: date) -> dict[str, Any]:
        return dated(undated(), *event_date_window(today))

    def openapi() -> dict[str, Any]:
        return on(datetime.now(UTC).date())

    async def openapi_json(_: Request) -> JSONResponse:
        return JSONResponse(on((await clock()).astimezone(UTC).date()))

    app.openapi = openapi  # type: ignore[method-assign]
    # In place of FastAPI's own route, which can only call the synchronous app.openapi().
    routes = app.router.routes
    for i, route in enumerate(routes):
        if isinstance(route, Route) and route.path == app.openapi_url:
            routes[i] = Route(route.path, openapi_json, include_in_schema=False)


def dated(undated: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """The document with the event dates a trigger takes from ``first`` to ``last``: as a
    pattern on each date marked with EVENT_DATE_WINDOW, and in the examples beside it."""
    document = copy.deepcopy(undated)
    pattern = date_pattern(first, last)
    description = (
        f"From {first.isoformat()} to {last.isoformat()} today: at most 90 days ago and 400 "
        "ahead (a date outside is a typo in the year, a 422)."
    )

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        if not isinstance(node, dict):
            return
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.pop(EVENT_DATE_WINDOW, False):
                prop.update(pattern=pattern, description=description)
                for example in node.get("examples") or []:
                    if isinstance(example, dict) and name in example:
                        example[name] = first.isoformat()
        for value in node.values():
            visit(value)

    visit(document)
    return document


def date_pattern(first: date, last: date) -> str:
    """A regular expression that matches exactly the ISO dates from ``first`` to ``last``."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        low = first.day if (year, month) == (first.year, first.month) else 1
        high = last.day if (year, month) == (last.year, last.month) else 0
        high = high or calendar.monthrange(year, month)[1]
        months.append(f"{year:04d}-{month:02d}-({_two_digits(low, high)})")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"^({'|'.join(months)})$"


def _two_digits(low: int, high: int) -> str:
    """The numbers from ``low`` to ``high`` (1 to 31) written with two digits, as a regex."""
    parts = []
    for tens in range(low // 10, high // 10 + 1):
        a, b = max(low, tens * 10) % 10, min(high, tens * 10 + 9) % 10
        parts.append(f"{tens}{a}" if a == b else f"{tens}[{a}-{b}]")
    return "|".join(parts)


def complete(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for operations in paths.values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("400", UNREADABLE)

    def link(operation_id: str, **parameters: str) -> dict[str, Any]:
        return {"operationId": operation_id, "parameters": parameters}

    def operation_id(method: str, path: str) -> str:
        return str(paths[path][method]["operationId"])

    event_id = "$response.body#/id"
    created = paths["/v1/events"]["post"]["responses"]
    for code in ("200", "201"):  # a new event, or the one already posted with that reference
        created[code]["links"] = {
            name: link(operation_id(method, path), event_id=event_id)
            for name, method, path in EVENT_LINKS
        }
    page = paths[EVENT + "/participants"]["get"]["responses"]["200"]
    page["links"] = {
        name: link(
            operation_id(method, path),
            event_id="$request.path.event_id",
            participant_id="$response.body#/items/0/id",
        )
        for name, method, path in PARTICIPANT_LINKS
    }
