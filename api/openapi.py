"""What FastAPI's generated OpenAPI document leaves out, added so it says what the API does:
the 400 an unreadable body gets, and links from a new event to the routes that use its id
(tools such as schemathesis follow them to call those routes with real ids)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
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

    app.openapi = openapi  # type: ignore[method-assign]


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
