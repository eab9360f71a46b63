"""A school's own settings: its calendar, its email branding and its teachers' language;
erasure by address.

Both settings are validated on upload (a bad one is a 422 and changes nothing).
Running follow-throughs re-read the calendar whenever they wake, so new
holidays apply at once; branding applies to the next email sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.deps import DbDep, ResourcesDep, SchoolDep
from api.errors import error_responses
from cpd.branding import Branding
from cpd.calendar import SchoolCalendar
from cpd.ics import MAX_BYTES
from services import admin, triggers
from services.erasure import erase_by_email
from services.errors import TooLarge
from services.schemas import (
    CalendarImport,
    Erased,
    ErasureRequest,
    SchoolLanguage,
    SchoolYearOut,
)

router = APIRouter(prefix="/v1/school", tags=["school"])


@router.get("/calendar", response_model=SchoolCalendar, responses=error_responses(401, 403))
async def get_calendar(school: SchoolDep) -> SchoolCalendar:
    return SchoolCalendar.model_validate_json(school.calendar_json)


@router.put("/calendar", response_model=SchoolCalendar, responses=error_responses(401, 403, 422))
async def put_calendar(
    body: SchoolCalendar, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> SchoolCalendar:
    """Time zone, working days, send window, term dates and closures (holidays, INSET days).
    Running follow-throughs re-plan at once."""
    await admin.set_calendar(db, school, body)
    await db.commit()
    await triggers.recalendar(res.client, res.settings.task_queue, school.id)
    return body


@router.post(
    "/calendar.ics", response_model=CalendarImport, responses=error_responses(401, 403, 413, 422)
)
async def import_calendar(
    file: Annotated[UploadFile, File(description="The school's calendar (.ics)")],
    school: SchoolDep,
    db: DbDep,
    res: ResourcesDep,
    apply: Annotated[bool, Form(description="Save it; without it, only a preview")] = False,
) -> CalendarImport:
    """Term dates and closures from the school's published calendar: a preview of what was
    understood, saved only with ``apply``."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge("The calendar file is over 1 MB.")
    result = await admin.import_calendar(db, school, data, apply)
    if result.applied:
        await db.commit()
        await triggers.recalendar(res.client, res.settings.task_queue, school.id)
    return result


@router.get("/year", response_model=SchoolYearOut, responses=error_responses(401, 403))
async def get_school_year(school: SchoolDep, res: ResourcesDep) -> SchoolYearOut:
    """Bank holidays for the school's nation, and the holidays assumed where no term dates
    were entered (marked estimated), over the coming year."""
    return admin.school_year_view(school, await res.clock())


@router.get("/branding", response_model=Branding, responses=error_responses(401, 403))
async def get_branding(school: SchoolDep) -> Branding:
    return Branding.model_validate_json(school.branding_json)


@router.put("/branding", response_model=Branding, responses=error_responses(401, 403, 422))
async def put_branding(body: Branding, school: SchoolDep, db: DbDep) -> Branding:
    """Sender name, sign-off, signature, logo (https) and per-step-kind copy overrides."""
    await admin.set_branding(db, school, body)
    return body


@router.get("/language", response_model=SchoolLanguage, responses=error_responses(401, 403))
async def get_language(school: SchoolDep) -> SchoolLanguage:
    return SchoolLanguage.model_validate({"language": school.language})


@router.put("/language", response_model=SchoolLanguage, responses=error_responses(401, 403, 422))
async def put_language(body: SchoolLanguage, school: SchoolDep, db: DbDep) -> SchoolLanguage:
    """English (en) or Welsh (cy) for the school's teachers: their emails and the pages their
    links open, from the next email sent. A teacher's own language overrides it."""
    await admin.set_language(db, school, body.language)
    return body


@router.post("/erasure", response_model=Erased, responses=error_responses(401, 403, 422))
async def erase_person(
    body: ErasureRequest, school: SchoolDep, db: DbDep, res: ResourcesDep
) -> Erased:
    """GDPR erasure of one person across every event at this school, by email address."""
    return await erase_by_email(res.client, db, res.settings, school.id, body.email)
