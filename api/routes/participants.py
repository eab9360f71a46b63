"""Leaders' controls over one participant: live timeline, pause, resume, remove, new email."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, ResourcesDep, SchoolDep
from api.errors import error_responses
from services import participants, support
from services.erasure import erase
from services.schemas import EmailChange, Erased, ParticipantDetail, PauseRequest, SupportMark
from services.tenancy import owned_participant

router = APIRouter(prefix="/v1/events/{event_id}/participants", tags=["participants"])

ONE = "/{participant_id}"


@router.get(ONE, response_model=ParticipantDetail, responses=error_responses(401, 403, 404))
async def participant_detail(
    event_id: str, participant_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> ParticipantDetail:
    """One participant's answers and live timeline (a workflow Query)."""
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await participants.detail(res.client, db, person)


@router.post(
    ONE + "/pause", response_model=ParticipantDetail, responses=error_responses(401, 403, 404, 409)
)
async def pause(
    event_id: str,
    participant_id: str,
    body: PauseRequest,
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
) -> ParticipantDetail:
    """Pause for leave or illness: nothing is sent, and the rest of the plan shifts on resume."""
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await participants.pause(res.client, db, person, body.reason)


@router.post(
    ONE + "/resume", response_model=ParticipantDetail, responses=error_responses(401, 403, 404, 409)
)
async def resume(
    event_id: str, participant_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> ParticipantDetail:
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await participants.resume(res.client, db, person)


@router.delete(ONE, response_model=ParticipantDetail, responses=error_responses(401, 403, 404))
async def remove(
    event_id: str, participant_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> ParticipantDetail:
    """Withdraw one person: their follow-through ends and nothing more is sent."""
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await participants.remove(res.client, db, person)


@router.put(
    ONE + "/email",
    response_model=ParticipantDetail,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def change_email(
    event_id: str,
    participant_id: str,
    body: EmailChange,
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
) -> ParticipantDetail:
    """Send the rest of this follow-through to a new address."""
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await participants.change_email(res.client, db, person, body.email)


@router.post(
    ONE + "/support",
    response_model=ParticipantDetail,
    responses=error_responses(401, 403, 404, 422),
)
async def mark_support(
    event_id: str,
    participant_id: str,
    body: SupportMark,
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
) -> ParticipantDetail:
    """The CPD lead has a teacher's request for help in hand, or has given it: "supported"
    clears their flag."""
    person = await support.mark(res.client, db, school.id, event_id, participant_id, body.status)
    return await participants.detail(res.client, db, person)


@router.delete(ONE + "/data", response_model=Erased, responses=error_responses(401, 403, 404))
async def erase_participant(
    event_id: str, participant_id: str, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> Erased:
    """GDPR erasure: workflow history, projection, answers, evidence and email records."""
    person = await owned_participant(db, school.id, event_id, participant_id)
    return await erase(res.client, db, res.settings, [person])
