"""Schools trigger follow-throughs here and read where each one stands."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import Resources, ResourcesDep, SchoolDep, SchoolRead, SessionDep, reading
from api.errors import ApiError, error_responses
from api.schemas import (
    AnswerOut,
    EventCreate,
    EventList,
    EventOut,
    EventStatus,
    ImpactSummary,
    ParticipantPage,
    ParticipantsAdd,
    ParticipantsAdded,
    ParticipantStatus,
)
from cpd import census
from cpd.db import run_sync
from cpd.models import Answer, Event, Participant, School, utcnow
from cpd.names import (
    cancel_workflow_id,
    event_signal_workflow_id,
    fanout_workflow_id,
)
from cpd.plans import Plan
from services import reports
from services.export import export_rows
from services.tenancy import EVENT, owned, owned_event, start_fanout
from services.triggers import new_participants, record_event, start_event
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
    existing, created = await record_event(session, school, body)
    # Started on every post, so a retry after a crash here still fans out;
    # the fixed workflow id makes the second start a no-op.
    await start_event(res.client, res.settings.task_queue, existing.id)
    if not created:
        response.status_code = 200
    return await _event_out(session, existing, created)


@router.get("", response_model=EventList, responses=error_responses(401))
async def list_events(
    school: SchoolDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> EventList:
    """This school's events, newest first."""
    events = (
        await session.exec(
            select(Event)
            .where(Event.school_id == school.id)
            .order_by(col(Event.event_date).desc(), col(Event.created_at).desc())
            .limit(limit)
        )
    ).all()
    counts = await reports.participant_counts(session, [e.id for e in events])
    return EventList(items=[_out(e, False, counts.get(e.id, 0)) for e in events])


@router.get("/{event_id}", response_model=EventStatus, responses=error_responses(401, 404))
async def event_status(
    event_id: str,
    read: Annotated[SchoolRead, reading(EVENT, reports.CENSUS, reports.STEP_COUNTS, reports.NAMES)],
) -> Response:
    """Counts per stage, response rate per step, and who needs a leader's attention."""
    found, people, counts, names = read.rows
    event = owned(found[0][0] if found else None, read.school.id)
    census = reports.census_from(people)
    status = EventStatus(
        event=_out(event, False, census.total),
        stages=census.stages,
        steps=reports.step_rates_from(counts, Plan.model_validate_json(event.plan_json)),
        attention=reports.attention_from(census, names),
    )
    # Already a validated model: serialise it once, not validate it all again.
    return Response(status.model_dump_json(), media_type="application/json")


@router.get(
    "/{event_id}/participants", response_model=ParticipantPage, responses=error_responses(401, 404)
)
async def list_participants(
    event_id: str,
    school: SchoolDep,
    session: SessionDep,
    stage: str | None = None,
    attention: Annotated[
        Literal["needs_help", "overdue", "bounced", "paused", "withdrawn"] | None, Query()
    ] = None,
    after: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ParticipantPage:
    """Participants with their answers, a page at a time (ordered by id)."""
    event = await owned_event(session, school.id, event_id)
    query = select(Participant).where(Participant.event_id == event.id, col(Participant.id) > after)
    if stage:
        query = query.where(Participant.stage == stage)
    if attention:
        query = query.where(*reports.attention_filter(attention))
    people = (await session.exec(query.order_by(col(Participant.id)).limit(limit))).all()
    answers = (
        await session.exec(
            select(Answer).where(col(Answer.participant_id).in_([p.id for p in people]))
        )
    ).all()
    by_person: dict[str, list[AnswerOut]] = {}
    for a in answers:
        by_person.setdefault(a.participant_id, []).append(AnswerOut.of(a))
    return ParticipantPage(
        items=[ParticipantStatus.of(p, by_person.get(p.id, [])) for p in people],
        next_cursor=people[-1].id if len(people) == limit else None,
    )


@router.get("/{event_id}/impact", response_model=ImpactSummary, responses=error_responses(401, 404))
async def impact_summary(
    event_id: str, read: Annotated[SchoolRead, reading(EVENT, reports.IMPACT)]
) -> ImpactSummary:
    """Ratings per Guskey level at each checkpoint (about 1, 3, 6, 12 months), and the change."""
    found, ratings = read.rows
    event = owned(found[0][0] if found else None, read.school.id)
    return reports.impact_from(ratings, Plan.model_validate_json(event.plan_json))


@router.get(
    "/{event_id}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 404)},
)
async def export_csv(event_id: str, school: SchoolDep, session: SessionDep) -> Response:
    """One row per participant, one column per step (the answer, marked late if it was)."""
    event = await owned_event(session, school.id, event_id)
    plan = Plan.model_validate_json(event.plan_json)
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
    table = export_rows(plan, people, answers)
    return Response(
        table,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{event.reference}.csv"'},
    )


@router.post("/{event_id}/pause", response_model=EventOut, responses=error_responses(401, 404, 409))
async def pause_event(
    event_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> EventOut:
    """Pause everyone (a closure, an Ofsted week): remaining steps shift by the pause."""
    return await _signal_event(event_id, "pause", school, session, res)


@router.post(
    "/{event_id}/resume", response_model=EventOut, responses=error_responses(401, 404, 409)
)
async def resume_event(
    event_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> EventOut:
    return await _signal_event(event_id, "resume", school, session, res)


async def _signal_event(
    event_id: str,
    action: Literal["pause", "resume"],
    school: School,
    session: AsyncSession,
    res: Resources,
) -> EventOut:
    event = await owned_event(session, school.id, event_id)
    if event.cancelled_at is not None:
        raise ApiError(409, "cancelled", "This event was cancelled.")
    await start_fanout(
        res.client,
        event_signal_workflow_id(event.id, action, uuid.uuid4().hex[:8]),
        res.settings.task_queue,
        FanoutInput(event_id=event.id, action=action),
    )
    return await _event_out(session, event, False)


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
    await run_sync(session, census.add_batch, event.id, batch)
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


async def _event_out(session: AsyncSession, event: Event, created: bool) -> EventOut:
    counts = await reports.participant_counts(session, [event.id])
    return _out(event, created, counts.get(event.id, 0))


def _out(event: Event, created: bool, count: int) -> EventOut:
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
