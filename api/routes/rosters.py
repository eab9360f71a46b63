"""Staff rosters as CSV (an MIS export): check one, or use it to trigger or add to an event.

Every row gets a verdict (services/rosters.py). A file with any error creates nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from api.deps import DbDep, ResourcesDep, SchoolDep
from api.errors import error_responses
from cpd.builtin_plans import DEFAULT_PLAN_ID
from cpd.roster import Roster
from services import preview, rosters, triggers
from services.schemas import (
    EVENT_DATE_WINDOW,
    PLAN_IDS,
    EventOut,
    EventPreview,
    ParticipantsAdd,
    ParticipantsAdded,
    RosterReport,
)

router = APIRouter(tags=["rosters"])

# A form sends an empty field for one left blank, and FastAPI reads it as left out.
FORM_PLAN_ID = Form(
    max_length=80,
    pattern=rf"^(?:{PLAN_IDS})?$",
    description=f"As in POST /v1/events; empty or left out: {DEFAULT_PLAN_ID}",
)


async def _roster(file: UploadFile) -> Roster:
    return rosters.read_roster(await file.read(rosters.MAX_CSV_BYTES + 1))


@router.post(
    "/v1/rosters/check", response_model=RosterReport, responses=error_responses(401, 403, 413)
)
async def check_roster(file: Annotated[UploadFile, File()], school: SchoolDep) -> RosterReport:
    """Check a CSV without creating anything: a verdict for every row."""
    return rosters.report(await _roster(file))


@router.post(
    "/v1/events.csv",
    response_model=EventOut,
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "Already posted"},
        **error_responses(401, 403, 409, 413, 422),
    },
)
async def create_event_from_csv(
    file: Annotated[UploadFile, File(description="Forename, Surname, Email (MIS export)")],
    reference: Annotated[str, Form(min_length=1, max_length=120)],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    event_date: Annotated[date, Form(json_schema_extra={EVENT_DATE_WINDOW: True})],
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
    response: Response,
    plan_id: Annotated[str, FORM_PLAN_ID] = DEFAULT_PLAN_ID,
) -> EventOut:
    """Trigger a follow-through for everyone in a roster CSV."""
    body = rosters.event_from(await _roster(file), reference, title, event_date, plan_id)
    now = await res.clock()
    out = await triggers.trigger(res.client, res.settings.task_queue, db, school, body, now)
    if not out.created:
        response.status_code = 200
    return out


@router.post(
    "/v1/events/preview.csv",
    response_model=EventPreview,
    responses=error_responses(401, 403, 409, 413, 422),
)
async def preview_event_from_csv(
    file: Annotated[UploadFile, File(description="Forename, Surname, Email (MIS export)")],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    event_date: Annotated[date, Form(json_schema_extra={EVENT_DATE_WINDOW: True})],
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
    plan_id: Annotated[str, FORM_PLAN_ID] = DEFAULT_PLAN_ID,
) -> EventPreview:
    """What a roster's trigger would send, and when, with every row's verdict; does nothing."""
    return await preview.preview_roster(
        db, school, await _roster(file), title, event_date, plan_id, await res.clock(),
        res.settings.email_budget_per_week, res.settings.public_base_url,
    )  # fmt: skip


@router.post(
    "/v1/events/{event_id}/participants.csv",
    response_model=ParticipantsAdded,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def add_from_csv(
    event_id: str,
    file: Annotated[UploadFile, File()],
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
) -> ParticipantsAdded:
    """Add everyone in a roster CSV to an event; those already in it are left alone."""
    body = ParticipantsAdd(participants=rosters.people(await _roster(file)))
    return await triggers.add_participants(
        res.client, res.settings.task_queue, db, school.id, event_id, body
    )
