"""Staff rosters as CSV (an MIS export): check one, or use it to trigger or add to an event.

Every row gets a verdict. A file with any error creates nothing: the school
fixes the rows named in the report and sends it again. Duplicate rows are
listed once and reported, not refused.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import ValidationError

from api.deps import ResourcesDep, SchoolDep, SessionDep
from api.errors import ApiError, error_responses
from api.routes import events
from api.schemas import (
    EventCreate,
    EventOut,
    ParticipantIn,
    ParticipantsAdd,
    ParticipantsAdded,
    RosterReport,
    RosterRowOut,
)
from cpd.builtin_plans import DEFAULT_PLAN_ID
from cpd.roster import Roster, parse_roster

router = APIRouter(tags=["rosters"])
MAX_CSV_BYTES = 5 * 1024 * 1024


async def _roster(file: UploadFile) -> Roster:
    data = await file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ApiError(413, "too_large", "The CSV is over 5 MB: split it into smaller files.")
    return parse_roster(data)


def _report(roster: Roster) -> RosterReport:
    rows = [
        RosterRowOut(row=r.row, name=r.name, email=r.email, status=r.status, errors=r.errors)
        for r in roster.rows
    ]
    return RosterReport(
        ok=roster.ok,
        problems=roster.problems,
        people=len(roster.people),
        duplicates=sum(r.status == "duplicate" for r in roster.rows),
        errors=sum(r.status == "error" for r in roster.rows),
        rows=rows,
    )


def _refuse_unless_ok(roster: Roster) -> None:
    if roster.ok:
        return
    report = _report(roster)
    bad = [r for r in report.rows if r.status == "error"]
    detail = "; ".join(roster.problems) or f"{len(bad)} row(s) need fixing; nothing was created."
    raise ApiError(
        422,
        "invalid_roster",
        detail,
        [{"field": f"row {r.row}", "message": "; ".join(r.errors), "email": r.email} for r in bad],
    )


def _people(roster: Roster) -> list[ParticipantIn]:
    return [ParticipantIn(name=r.name, email=r.email) for r in roster.people]


@router.post("/v1/rosters/check", response_model=RosterReport, responses=error_responses(401, 413))
async def check_roster(file: Annotated[UploadFile, File()], school: SchoolDep) -> RosterReport:
    """Check a CSV without creating anything: a verdict for every row."""
    return _report(await _roster(file))


@router.post(
    "/v1/events.csv",
    response_model=EventOut,
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "Already posted"},
        **error_responses(401, 413, 422),
    },
)
async def create_event_from_csv(
    file: Annotated[UploadFile, File(description="Forename, Surname, Email (MIS export)")],
    reference: Annotated[str, Form(max_length=120)],
    title: Annotated[str, Form(max_length=200)],
    event_date: Annotated[date, Form()],
    school: SchoolDep,
    session: SessionDep,
    res: ResourcesDep,
    response: Response,
    plan_id: Annotated[str, Form()] = DEFAULT_PLAN_ID,
) -> EventOut:
    """Trigger a follow-through for everyone in a roster CSV."""
    roster = await _roster(file)
    _refuse_unless_ok(roster)
    try:
        body = EventCreate(
            reference=reference,
            title=title,
            event_date=event_date,
            plan_id=plan_id,
            participants=_people(roster),
        )
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", str(exc.errors()[0]["msg"])) from exc
    return await events.create_event(body, school, session, res, response)


@router.post(
    "/v1/events/{event_id}/participants.csv",
    response_model=ParticipantsAdded,
    status_code=201,
    responses=error_responses(401, 404, 409, 413, 422),
)
async def add_from_csv(
    event_id: str,
    file: Annotated[UploadFile, File()],
    school: SchoolDep,
    session: SessionDep,
    res: ResourcesDep,
) -> ParticipantsAdded:
    """Add everyone in a roster CSV to an event; those already in it are left alone."""
    roster = await _roster(file)
    _refuse_unless_ok(roster)
    return await events.add_participants(
        event_id, ParticipantsAdd(participants=_people(roster)), school, session, res
    )
