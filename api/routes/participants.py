"""Leaders' controls over one participant: live timeline, pause, resume, remove, new email."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ResourcesDep, SchoolDep, SessionDep
from api.errors import ApiError, error_responses
from api.schemas import AnswerOut, EmailChange, ParticipantDetail, ParticipantStatus, PauseRequest
from cpd.models import Answer, Participant
from services.erasure import Erased, erase
from services.tenancy import owned_participant
from workflows.participant import ParticipantWorkflow
from workflows.types import ParticipantOutcome

router = APIRouter(prefix="/v1/events/{event_id}/participants", tags=["participants"])

ONE = "/{participant_id}"


def _handle(
    res: ResourcesDep, p: Participant
) -> WorkflowHandle[ParticipantWorkflow, ParticipantOutcome]:
    return res.client.get_workflow_handle_for(ParticipantWorkflow.run, p.workflow_id)


async def _signal(res: ResourcesDep, p: Participant, signal: object, *args: object) -> None:
    try:
        await _handle(res, p).signal(signal, *args)  # type: ignore[call-overload]
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "ended", "This follow-through has already ended.") from exc
        raise


async def _detail(res: ResourcesDep, session: SessionDep, p: Participant) -> ParticipantDetail:
    answers = (await session.exec(select(Answer).where(Answer.participant_id == p.id))).all()
    try:
        timeline = await _handle(res, p).query(ParticipantWorkflow.timeline)
    except RPCError:
        timeline = None  # not started yet, or Temporal unreachable: the projection still answers
    return ParticipantDetail(
        participant=ParticipantStatus.of(p, [AnswerOut.of(a) for a in answers]),
        timeline=timeline,
    )


@router.get(ONE, response_model=ParticipantDetail, responses=error_responses(401, 404))
async def participant_detail(
    event_id: str, participant_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> ParticipantDetail:
    """One participant's answers and live timeline (a workflow Query)."""
    person = await owned_participant(session, school.id, event_id, participant_id)
    return await _detail(res, session, person)


@router.post(
    ONE + "/pause", response_model=ParticipantDetail, responses=error_responses(401, 404, 409)
)
async def pause(
    event_id: str,
    participant_id: str,
    body: PauseRequest,
    school: SchoolDep,
    session: SessionDep,
    res: ResourcesDep,
) -> ParticipantDetail:
    """Pause for leave or illness: nothing is sent, and the rest of the plan shifts on resume."""
    person = await owned_participant(session, school.id, event_id, participant_id)
    await _signal(res, person, ParticipantWorkflow.pause, body.reason or "paused by school")
    return await _detail(res, session, person)


@router.post(
    ONE + "/resume", response_model=ParticipantDetail, responses=error_responses(401, 404, 409)
)
async def resume(
    event_id: str, participant_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> ParticipantDetail:
    person = await owned_participant(session, school.id, event_id, participant_id)
    await _signal(res, person, ParticipantWorkflow.resume)
    return await _detail(res, session, person)


@router.delete(ONE, response_model=ParticipantDetail, responses=error_responses(401, 404))
async def remove(
    event_id: str, participant_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> ParticipantDetail:
    """Withdraw one person: their follow-through ends and nothing more is sent."""
    person = await owned_participant(session, school.id, event_id, participant_id)
    with suppress(ApiError):  # already ended: removing is done either way
        await _signal(res, person, ParticipantWorkflow.withdraw, "removed")
    return await _detail(res, session, person)


@router.put(
    ONE + "/email", response_model=ParticipantDetail, responses=error_responses(401, 404, 409, 422)
)
async def change_email(
    event_id: str,
    participant_id: str,
    body: EmailChange,
    school: SchoolDep,
    session: SessionDep,
    res: ResourcesDep,
) -> ParticipantDetail:
    """Send the rest of this follow-through to a new address."""
    person = await owned_participant(session, school.id, event_id, participant_id)
    person.email = body.email
    session.add(person)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ApiError(409, "conflict", "Someone else in this event has that email.") from exc
    # Signal before committing: if the workflow has ended, nothing changes.
    await _signal(res, person, ParticipantWorkflow.change_email, body.email)
    await session.commit()
    return await _detail(res, session, person)


@router.delete(ONE + "/data", response_model=Erased, responses=error_responses(401, 404))
async def erase_participant(
    event_id: str, participant_id: str, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> Erased:
    """GDPR erasure: workflow history, projection, answers, evidence and email records."""
    person = await owned_participant(session, school.id, event_id, participant_id)
    return await erase(res.client, session, res.settings, [person])
