"""Schools trigger follow-throughs here and read where each one stands."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from api.deps import DbDep, ResourcesDep, SchoolDep, SchoolRead, reading
from api.errors import error_responses
from services import preview, reports, triggers
from services.export import export_event
from services.schemas import (
    EventCreate,
    EventList,
    EventOut,
    EventPreview,
    EventStatus,
    ImpactSummary,
    ParticipantPage,
    ParticipantsAdd,
    ParticipantsAdded,
)

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post(
    "",
    response_model=EventOut,
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "Already posted"},
        **error_responses(401, 403, 409, 422),
    },
)
async def create_event(
    body: EventCreate, school: SchoolDep, db: DbDep, res: ResourcesDep, response: Response
) -> EventOut:
    """Trigger a follow-through for every participant of a CPD event."""
    now = await res.clock()
    out = await triggers.trigger(res.client, res.settings.task_queue, db, school, body, now)
    if not out.created:
        response.status_code = 200
    return out


@router.post("/preview", response_model=EventPreview, responses=error_responses(401, 403, 409, 422))
async def preview_event(
    body: EventCreate, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> EventPreview:
    """What this trigger would send, and when, by the school's calendar; nothing is done."""
    now = await res.clock()
    return await preview.preview_event(
        db, school, body, now, res.settings.email_budget_per_week, res.settings.public_base_url
    )


@router.get("", response_model=EventList, responses=error_responses(401, 403))
async def list_events(
    school: SchoolDep, db: DbDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> EventList:
    """This school's events, newest first."""
    return await reports.list_events(db, school.id, limit)


@router.get("/{event_id}", response_model=EventStatus, responses=error_responses(401, 403, 404))
async def event_status(
    event_id: str, read: Annotated[SchoolRead, reading(**reports.STATUS)]
) -> Response:
    """Counts per stage, response rate per step, and who needs a leader's attention."""
    status = reports.status_of(read.school, read.rows)
    # Already a validated model: serialise it once, not validate it all again.
    return Response(status.model_dump_json(), media_type="application/json")


@router.get(
    "/{event_id}/participants",
    response_model=ParticipantPage,
    responses=error_responses(401, 403, 404),
)
async def list_participants(
    event_id: str,
    school: SchoolDep,
    db: DbDep,
    stage: str | None = None,
    attention: Annotated[
        Literal["needs_help", "overdue", "bounced", "paused", "withdrawn"] | None, Query()
    ] = None,
    after: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ParticipantPage:
    """Participants with their answers, a page at a time (ordered by id)."""
    return await reports.participants_page(db, school.id, event_id, stage, attention, after, limit)


@router.get(
    "/{event_id}/impact", response_model=ImpactSummary, responses=error_responses(401, 403, 404)
)
async def impact_summary(
    event_id: str, read: Annotated[SchoolRead, reading(**reports.IMPACT_READS)]
) -> ImpactSummary:
    """Ratings per Guskey level at each checkpoint (about 1, 3, 6, 12 months), and the change."""
    return reports.impact_of(read.school, read.rows)


@router.get(
    "/{event_id}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 403, 404)},
)
async def export_csv(event_id: str, school: SchoolDep, db: DbDep) -> Response:
    """One row per participant, one column per step (the answer, marked late if it was)."""
    filename, table = await export_event(db, school.id, event_id)
    return Response(
        table,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(filename)},
    )


def attachment(filename: str) -> str:
    """A Content-Disposition for any reference a school chose: headers are Latin-1, so the
    name in full goes in filename* (RFC 6266), and a plain ASCII one beside it."""
    plain = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.post(
    "/{event_id}/pause", response_model=EventOut, responses=error_responses(401, 403, 404, 409)
)
async def pause_event(event_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep) -> EventOut:
    """Pause everyone (a closure, an Ofsted week): remaining steps shift by the pause."""
    return await triggers.signal_event(
        res.client, res.settings.task_queue, db, school.id, event_id, "pause"
    )


@router.post(
    "/{event_id}/resume", response_model=EventOut, responses=error_responses(401, 403, 404, 409)
)
async def resume_event(event_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep) -> EventOut:
    return await triggers.signal_event(
        res.client, res.settings.task_queue, db, school.id, event_id, "resume"
    )


@router.post(
    "/{event_id}/participants",
    response_model=ParticipantsAdded,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_participants(
    event_id: str, body: ParticipantsAdd, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> ParticipantsAdded:
    """Add people to an event later; anyone already in it is left as they are."""
    return await triggers.add_participants(
        res.client, res.settings.task_queue, db, school.id, event_id, body
    )


@router.post(
    "/{event_id}/cancel", response_model=EventOut, responses=error_responses(401, 403, 404)
)
async def cancel_event(event_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep) -> EventOut:
    """End every participant's follow-through for this event. Repeating it is harmless."""
    return await triggers.cancel_event(res.client, res.settings.task_queue, db, school.id, event_id)
