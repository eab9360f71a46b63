"""Schools trigger follow-throughs here and read where each one stands."""

from __future__ import annotations

import uuid
from collections import Counter

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import ResourcesDep, SchoolDep, SessionDep
from api.errors import ApiError, error_responses
from api.owned import owned_event, start_fanout
from api.schemas import (
    AnswerOut,
    EventCreate,
    EventOut,
    EventStatus,
    ParticipantIn,
    ParticipantsAdd,
    ParticipantsAdded,
    ParticipantStatus,
)
from cpd.models import Answer, Event, Participant, School, utcnow
from cpd.names import cancel_workflow_id, fanout_workflow_id, participant_workflow_id
from workflows.fanout import FanoutInput

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post(
    "",
    response_model=EventOut,
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "Already posted"},
        **error_responses(401, 422),
    },
)
async def create_event(
    body: EventCreate, school: SchoolDep, session: SessionDep, res: ResourcesDep, response: Response
) -> EventOut:
    """Trigger a follow-through for every participant of a CPD event."""
    existing = await _event_by_reference(session, school.id, body.reference)
    created = existing is None
    if existing is None:
        event = _new_event(school, body)
        session.add(event)
        session.add_all(new_participants(event, body.participants, batch=0))
        try:
            # Committed before the fan-out starts: it reads these rows.
            await session.commit()
        except IntegrityError:
            # The same reference posted concurrently: the other request won.
            await session.rollback()
            existing = await _event_by_reference(session, school.id, body.reference)
            if existing is None:
                raise
            created = False
        else:
            existing = event
    # Started on every post, so a retry after a crash here still fans out;
    # the fixed workflow id makes the second start a no-op.
    await start_fanout(
        res.client,
        fanout_workflow_id(existing.id),
        res.settings.task_queue,
        FanoutInput(event_id=existing.id),
    )
    if not created:
        response.status_code = 200
    return await _event_out(session, existing, created)


@router.get("/{event_id}", response_model=EventStatus, responses=error_responses(401, 404))
async def event_status(event_id: str, school: SchoolDep, session: SessionDep) -> EventStatus:
    """Where every participant of one event stands, from the projection."""
    event = await owned_event(session, school.id, event_id)
    people = (
        await session.exec(
            select(Participant)
            .where(Participant.event_id == event.id)
            .order_by(col(Participant.name))
        )
    ).all()
    answers = (
        await session.exec(
            select(Answer).where(col(Answer.participant_id).in_([p.id for p in people]))
        )
    ).all()
    by_person: dict[str, list[AnswerOut]] = {}
    for a in answers:
        by_person.setdefault(a.participant_id, []).append(
            AnswerOut.model_validate(a, from_attributes=True)
        )
    return EventStatus(
        event=await _event_out(session, event, False),
        stages=dict(Counter(p.stage for p in people)),
        participants=[ParticipantStatus.of(p, by_person.get(p.id, [])) for p in people],
    )


@router.post(
    "/{event_id}/participants",
    response_model=ParticipantsAdded,
    status_code=201,
    responses=error_responses(401, 404, 409, 422),
)
async def add_participants(
    event_id: str, body: ParticipantsAdd, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> ParticipantsAdded:
    """Add people to an event later; anyone already in it is left as they are."""
    event = await owned_event(session, school.id, event_id)
    if event.cancelled_at is not None:
        raise ApiError(409, "cancelled", "This event was cancelled; nobody can be added.")
    current = (
        await session.exec(select(Participant).where(Participant.event_id == event.id))
    ).all()
    known = {p.email.lower() for p in current}
    fresh = [p for p in body.participants if p.email.lower() not in known]
    batch = max((p.batch for p in current), default=0) + 1
    rows = new_participants(event, fresh, batch)
    session.add_all(rows)
    await session.commit()  # the fan-out reads these rows
    if rows:
        await start_fanout(
            res.client,
            fanout_workflow_id(event.id, batch),
            res.settings.task_queue,
            FanoutInput(event_id=event.id, batch=batch),
        )
    return ParticipantsAdded(
        added=[ParticipantStatus.of(p, []) for p in rows],
        already_in_event=[p.email for p in body.participants if p.email.lower() in known],
    )


@router.post("/{event_id}/cancel", response_model=EventOut, responses=error_responses(401, 404))
async def cancel_event(
    event_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> EventOut:
    """End every participant's follow-through for this event. Repeating it is harmless."""
    event = await owned_event(session, school.id, event_id)
    if event.cancelled_at is None:
        event.cancelled_at = utcnow()
        session.add(event)
        await session.commit()
    await start_fanout(
        res.client,
        cancel_workflow_id(event.id),
        res.settings.task_queue,
        FanoutInput(event_id=event.id, action="withdraw", reason="cancelled"),
    )
    return await _event_out(session, event, False)


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


def _new_event(school: School, body: EventCreate) -> Event:
    plan = body.resolved_plan()
    return Event(
        id=uuid.uuid4().hex[:16],
        school_id=school.id,
        reference=body.reference,
        title=body.title,
        plan_id=plan.id,
        plan_json=plan.model_dump_json(),
        event_date=body.event_date,
    )


async def _event_by_reference(
    session: AsyncSession, school_id: str, reference: str
) -> Event | None:
    query = select(Event).where(Event.school_id == school_id, Event.reference == reference)
    return (await session.exec(query)).first()


async def _event_out(session: AsyncSession, event: Event, created: bool) -> EventOut:
    count = (
        await session.exec(
            select(func.count()).select_from(Participant).where(Participant.event_id == event.id)
        )
    ).one()
    return EventOut(
        id=event.id,
        reference=event.reference,
        title=event.title,
        event_date=event.event_date,
        plan_id=event.plan_id,
        participant_count=count,
        created=created,
        cancelled=event.cancelled_at is not None,
    )
