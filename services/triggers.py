"""Triggering and steering an event's follow-through: record it, start it, add people,
pause, resume or cancel everyone.

Shared by ``POST /v1/events`` (and its CSV form) and ``cpd import-roster``.
Recording is one transaction; starting is idempotent (a fixed workflow id),
so a retry after a crash between the two finishes the job and starts nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from cpd import census, school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Db
from cpd.models import Event, Participant, School, utcnow
from cpd.names import (
    cancel_workflow_id,
    event_signal_workflow_id,
    fanout_queue,
    fanout_workflow_id,
    participant_workflow_id,
    school_signal_workflow_id,
)
from services import plan_library
from services.errors import Conflict, Invalid
from services.reports import participant_counts
from services.schemas import (
    EventCreate,
    EventOut,
    ParticipantIn,
    ParticipantsAdd,
    ParticipantsAdded,
    ParticipantStatus,
)
from services.tenancy import owned_event
from workflows.fanout import EventFanoutWorkflow, FanoutInput

CHUNK = 500
# How far from today an event's date may be: further is a typo in the year, and an event
# months ago would start a plan whose first steps are long past.
MOST_DAYS_AGO, MOST_DAYS_AHEAD = 90, 400


def event_date_window(today: date) -> tuple[date, date]:
    """The first and last event date a trigger takes ``today``: a day in UTC, not in each
    school's zone, so the API's document can state the window (api/openapi.py). A day
    either way is nothing beside the typo in a year that this catches."""
    return today - timedelta(days=MOST_DAYS_AGO), today + timedelta(days=MOST_DAYS_AHEAD)


def check_event_date(event_date: date, now: datetime) -> None:
    earliest, latest = event_date_window(now.astimezone(UTC).date())
    if earliest <= event_date <= latest:
        return
    message = (
        f"must be from {earliest.isoformat()} to {latest.isoformat()} "
        f"(at most {MOST_DAYS_AGO} days ago, {MOST_DAYS_AHEAD} ahead): check the year"
    )
    raise Invalid(f"event_date: {message}", [{"field": "event_date", "message": message}])


def new_participants(event: Event, people: list[ParticipantIn], batch: int) -> list[Participant]:
    rows = []
    for person in people:
        pid = uuid.uuid4().hex[:16]
        rows.append(
            Participant(
                id=pid,
                event_id=event.id,
                school_id=event.school_id,
                email=person.email,
                name=person.name,
                language=person.language,
                workflow_id=participant_workflow_id(event.id, pid),
                batch=batch,
            )
        )
    return rows


async def event_by_reference(db: Db, school_id: str, reference: str) -> Event | None:
    query = select(Event).where(Event.school_id == school_id, Event.reference == reference)
    return (await db.exec(query)).first()


async def trigger(
    client: Client, task_queue: str, db: Db, school: School, body: EventCreate, now: datetime
) -> EventOut:
    """Record the event (once per reference) and start its fan-out: ``created`` says which."""
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)  # read before a rollback
    event, created = await record_event(db, school, body, now)
    # Started on every post, so a retry after a crash here still fans out;
    # the fixed workflow id makes the second start a no-op.
    await start_event(client, task_queue, event.id)
    out = await event_out(db, event, created)
    last_step = event.event_date + timedelta(days=event.plan.steps[-1].offset_days)
    today = now.astimezone(calendar.zone).date()
    out.warnings = school_year.warnings(calendar, today, until=last_step)
    if created:
        out.warnings += listed_again(body.listed_again)
    return out


def listed_again(emails: list[str]) -> list[str]:
    """The warning for addresses a request gave more than once (each was taken once)."""
    if not emails:
        return []
    return [f"Listed more than once, so followed through once: {', '.join(emails)}."]


async def record_event(
    db: Db,
    school: School,
    body: EventCreate,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Event, bool]:
    """The event for this reference, and whether this call created it."""
    # Read now: the rollback below may expire ``school``, and a lazy read after it would
    # be synchronous IO (on asyncpg a MissingGreenlet: a 500 for a concurrent duplicate).
    school_id = school.id
    existing = await event_by_reference(db, school_id, body.reference)
    if existing is not None:
        return existing, False
    check_event_date(body.event_date, now)
    plan = await plan_library.resolve(db, school.id, body)
    event = Event(
        id=uuid.uuid4().hex[:16],
        school_id=school.id,
        reference=body.reference,
        title=body.title,
        plan_id=plan_library.id_of(body, plan),
        plan_json=plan.model_dump_json(),
        event_date=body.event_date,
    )
    rows = new_participants(event, body.participants, batch=0)
    try:
        db.add(event)
        for start in range(0, len(rows), CHUNK):
            db.add_all(rows[start : start + CHUNK])
            await db.flush()
            if progress:
                progress(min(start + CHUNK, len(rows)), len(rows))
        await db.run(census.add_batch, event.id, 0)
        # Committed before the fan-out starts: it reads these rows.
        await db.commit()
    except IntegrityError:
        # The same reference posted concurrently: the other request won.
        await db.rollback()
        existing = await event_by_reference(db, school_id, body.reference)
        if existing is None:
            raise
        return existing, False
    return event, True


async def start_event(client: Client, task_queue: str, event_id: str) -> None:
    await _start_fanout(
        client, fanout_workflow_id(event_id), task_queue, FanoutInput(event_id=event_id)
    )


async def add_participants(
    client: Client, task_queue: str, db: Db, school_id: str, event_id: str, body: ParticipantsAdd
) -> ParticipantsAdded:
    """Add people to an event later; anyone already in it is left as they are."""
    event = await owned_event(db, school_id, event_id)
    if event.cancelled_at is not None:
        raise Conflict("This event was cancelled; nobody can be added.", code="cancelled")
    try:
        rows, known, batch = await _add_rows(db, event, body)
    except IntegrityError:
        # The same people added at the same moment (a button pressed twice): the other
        # request added them, so read again and they are in the event already.
        await db.rollback()
        event = await owned_event(db, school_id, event_id)  # read afresh after the rollback
        rows, known, batch = await _add_rows(db, event, body)
    if rows:
        await _start_fanout(
            client,
            fanout_workflow_id(event.id, batch),
            task_queue,
            FanoutInput(event_id=event.id, batch=batch),
        )
    return ParticipantsAdded(
        added=[ParticipantStatus.of(p, []) for p in rows],
        already_in_event=[p.email for p in body.participants if p.email.lower() in known],
        listed_again=body.listed_again,
    )


async def _add_rows(
    db: Db, event: Event, body: ParticipantsAdd
) -> tuple[list[Participant], set[str], int]:
    """Record the people not yet in the event, as one new batch: (their rows, the
    addresses already there, the batch)."""
    current = (await db.exec(select(Participant).where(Participant.event_id == event.id))).all()
    known = {p.email.lower() for p in current}
    fresh = [p for p in body.participants if p.email.lower() not in known]
    batch = max((p.batch for p in current), default=0) + 1
    rows = new_participants(event, fresh, batch)
    db.add_all(rows)
    await db.run(census.add_batch, event.id, batch)
    await db.commit()  # the fan-out reads these rows
    return rows, known, batch


async def signal_event(
    client: Client,
    task_queue: str,
    db: Db,
    school_id: str,
    event_id: str,
    action: Literal["pause", "resume"],
) -> EventOut:
    """Pause or resume everyone in the event (a closure, an Ofsted week)."""
    event = await owned_event(db, school_id, event_id)
    if event.cancelled_at is not None:
        raise Conflict("This event was cancelled.", code="cancelled")
    await _start_fanout(
        client,
        event_signal_workflow_id(event.id, action, uuid.uuid4().hex[:8]),
        task_queue,
        FanoutInput(event_id=event.id, action=action),
    )
    return await event_out(db, event, False)


async def cancel_event(
    client: Client, task_queue: str, db: Db, school_id: str, event_id: str
) -> EventOut:
    """End every participant's follow-through for this event. Repeating it is harmless."""
    event = await owned_event(db, school_id, event_id)
    if event.cancelled_at is None:
        event.cancelled_at = utcnow()
        db.add(event)
        await db.commit()
    await _start_fanout(
        client,
        cancel_workflow_id(event.id),
        task_queue,
        FanoutInput(event_id=event.id, action="withdraw", reason="cancelled"),
    )
    return await event_out(db, event, False)


async def recalendar(client: Client, task_queue: str, school_id: str) -> str:
    """Tell every running follow-through at the school that its calendar changed, so the
    sleeping ones re-plan now (the calendar must be committed first: they re-read it).
    One fan-out does the telling, page by page, so the save answers at once however many
    events the school runs. Returns the fan-out's workflow id."""
    workflow_id = school_signal_workflow_id(school_id, "calendar", uuid.uuid4().hex[:8])
    inp = FanoutInput(event_id="", school_id=school_id, action="calendar")
    await _start_fanout(client, workflow_id, task_queue, inp)
    return workflow_id


async def _start_fanout(
    client: Client, workflow_id: str, task_queue: str, inp: FanoutInput
) -> None:
    """Start one fan-out in its own lane; its fixed id makes a repeat a no-op."""
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            EventFanoutWorkflow.run,
            inp,
            id=workflow_id,
            task_queue=fanout_queue(task_queue),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


async def event_out(db: Db, event: Event, created: bool) -> EventOut:
    counts = await participant_counts(db, [event.id])
    return EventOut.of(event, created, counts.get(event.id, 0))
