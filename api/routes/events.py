"""Schools trigger follow-throughs here and read where each one stands."""

from __future__ import annotations

import uuid
from collections import Counter
from contextlib import suppress

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.deps import ResourcesDep, SchoolDep, SessionDep
from api.errors import ApiError, error_responses
from api.schemas import (
    AnswerOut,
    EventCreate,
    EventOut,
    EventStatus,
    ParticipantDetail,
    ParticipantStatus,
)
from cpd.models import Answer, Event, Participant, School
from cpd.names import fanout_workflow_id, participant_workflow_id
from workflows.fanout import EventFanoutWorkflow, FanoutInput
from workflows.participant import ParticipantWorkflow

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
        for person in body.participants:
            pid = uuid.uuid4().hex[:16]
            session.add(
                Participant(
                    id=pid,
                    event_id=event.id,
                    school_id=school.id,
                    email=person.email,
                    name=person.name,
                    workflow_id=participant_workflow_id(event.id, pid),
                )
            )
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
    await _start_fanout(res.client, existing.id, res.settings.task_queue)
    if not created:
        response.status_code = 200
    return await _event_out(session, existing, created)


@router.get("/{event_id}", response_model=EventStatus, responses=error_responses(401, 404))
async def event_status(event_id: str, school: SchoolDep, session: SessionDep) -> EventStatus:
    """Where every participant of one event stands, from the projection."""
    event = await _owned_event(session, school.id, event_id)
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
        participants=[_status(p, by_person.get(p.id, [])) for p in people],
    )


@router.get(
    "/{event_id}/participants/{participant_id}",
    response_model=ParticipantDetail,
    responses=error_responses(401, 404),
)
async def participant_detail(
    event_id: str, participant_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> ParticipantDetail:
    """One participant's answers and live timeline (a workflow Query)."""
    await _owned_event(session, school.id, event_id)
    person = await session.get(Participant, participant_id)
    if person is None or person.event_id != event_id or person.school_id != school.id:
        raise ApiError(404, "not_found", "No such participant in this event.")
    answers = (await session.exec(select(Answer).where(Answer.participant_id == person.id))).all()
    try:
        handle = res.client.get_workflow_handle_for(ParticipantWorkflow.run, person.workflow_id)
        timeline = await handle.query(ParticipantWorkflow.timeline)
    except RPCError:
        timeline = None  # not started yet, or Temporal unreachable: the projection still answers
    return ParticipantDetail(
        participant=_status(
            person, [AnswerOut.model_validate(a, from_attributes=True) for a in answers]
        ),
        timeline=timeline,
    )


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


async def _start_fanout(client: Client, event_id: str, task_queue: str) -> None:
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            EventFanoutWorkflow.run,
            FanoutInput(event_id=event_id),
            id=fanout_workflow_id(event_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


async def _event_by_reference(
    session: AsyncSession, school_id: str, reference: str
) -> Event | None:
    query = select(Event).where(Event.school_id == school_id, Event.reference == reference)
    return (await session.exec(query)).first()


async def _owned_event(session: AsyncSession, school_id: str, event_id: str) -> Event:
    event = await session.get(Event, event_id)
    # Another school's event is indistinguishable from a missing one.
    if event is None or event.school_id != school_id:
        raise ApiError(404, "not_found", "No such event.")
    return event


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
    )


def _status(p: Participant, answers: list[AnswerOut]) -> ParticipantStatus:
    return ParticipantStatus(
        id=p.id,
        name=p.name,
        email=p.email,
        stage=p.stage,
        current_step_id=p.current_step_id,
        next_due_at=p.next_due_at,
        needs_help=p.needs_help,
        answers=answers,
    )
