"""A school's own settings: its calendar and its email branding.

Both are validated on upload (a bad one is a 422 and changes nothing).
Running follow-throughs re-read the calendar whenever they wake, so new
holidays apply at once; branding applies to the next email sent.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr
from sqlmodel import func, select

from api.deps import ResourcesDep, SchoolDep, SessionDep
from api.errors import error_responses
from cpd.branding import Branding
from cpd.calendar import SchoolCalendar
from cpd.models import Participant
from services.erasure import Erased, erase

router = APIRouter(prefix="/v1/school", tags=["school"])


@router.get("/calendar", response_model=SchoolCalendar, responses=error_responses(401))
async def get_calendar(school: SchoolDep) -> SchoolCalendar:
    return SchoolCalendar.model_validate_json(school.calendar_json)


@router.put("/calendar", response_model=SchoolCalendar, responses=error_responses(401, 422))
async def put_calendar(
    body: SchoolCalendar, school: SchoolDep, session: SessionDep
) -> SchoolCalendar:
    """Time zone, working days, send window, term dates and closures (holidays, INSET days)."""
    # The school was read outside this session (api.deps); merge brings the change in.
    school.calendar_json = body.model_dump_json()
    await session.merge(school)
    return body


@router.get("/branding", response_model=Branding, responses=error_responses(401))
async def get_branding(school: SchoolDep) -> Branding:
    return Branding.model_validate_json(school.branding_json)


@router.put("/branding", response_model=Branding, responses=error_responses(401, 422))
async def put_branding(body: Branding, school: SchoolDep, session: SessionDep) -> Branding:
    """Sender name, sign-off, signature, logo (https) and per-step-kind copy overrides."""
    school.branding_json = body.model_dump_json()
    await session.merge(school)
    return body


class ErasureRequest(BaseModel):
    email: EmailStr


@router.post("/erasure", response_model=Erased, responses=error_responses(401, 422))
async def erase_person(
    body: ErasureRequest, school: SchoolDep, session: SessionDep, res: ResourcesDep
) -> Erased:
    """GDPR erasure of one person across every event at this school, by email address."""
    people = (
        await session.exec(
            select(Participant).where(
                Participant.school_id == school.id,
                func.lower(Participant.email) == body.email.lower(),
            )
        )
    ).all()
    return await erase(res.client, session, res.settings, list(people))
