"""Triggering a follow-through: record the event and its people, then start the fan-out.

Shared by ``POST /v1/events`` (and its CSV form) and ``cpd import-roster``.
Recording is one transaction; starting is idempotent (a fixed workflow id),
so a retry after a crash between the two finishes the job and starts nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.schemas import EventCreate, ParticipantIn
from cpd import census
from cpd.db import run_sync
from cpd.models import Event, Participant, School
from cpd.names import fanout_workflow_id, participant_workflow_id
from services.tenancy import start_fanout
from workflows.fanout import FanoutInput

CHUNK = 500


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
                workflow_id=participant_workflow_id(event.id, pid),
                batch=batch,
            )
        )
    return rows


async def event_by_reference(session: AsyncSession, school_id: str, reference: str) -> Event | None:
    query = select(Event).where(Event.school_id == school_id, Event.reference == reference)
    return (await session.exec(query)).first()


async def record_event(
    session: AsyncSession,
    school: School,
    body: EventCreate,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Event, bool]:
    """The event for this reference, and whether this call created it."""
    existing = await event_by_reference(session, school.id, body.reference)
    if existing is not None:
        return existing, False
    plan = body.resolved_plan()
    event = Event(
        id=uuid.uuid4().hex[:16],
        school_id=school.id,
        reference=body.reference,
        title=body.title,
        plan_id=plan.id,
        plan_json=plan.model_dump_json(),
        event_date=body.event_date,
    )
    rows = new_participants(event, body.participants, batch=0)
    try:
        session.add(event)
        for start in range(0, len(rows), CHUNK):
            session.add_all(rows[start : start + CHUNK])
            await session.flush()
            if progress:
                progress(min(start + CHUNK, len(rows)), len(rows))
        await run_sync(session, census.add_batch, event.id, 0)
        # Committed before the fan-out starts: it reads these rows.
        await session.commit()
    except IntegrityError:
        # The same reference posted concurrently: the other request won.
        await session.rollback()
        existing = await event_by_reference(session, school.id, body.reference)
        if existing is None:
            raise
        return existing, False
    return event, True


async def start_event(client: Client, task_queue: str, event_id: str) -> None:
    await start_fanout(
        client, fanout_workflow_id(event_id), task_queue, FanoutInput(event_id=event_id)
    )
