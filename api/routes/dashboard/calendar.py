"""The school calendar page: the year as the emails see it, .ics import with a preview, and
changes by hand (terms, closures, INSET days, nation and time zone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.forms import read_upload
from api.pages import page, problem
from api.routes.dashboard.base import LeadDep, dashboard_router, field_errors
from cpd.calendar import SchoolCalendar
from cpd.ics import MAX_BYTES
from cpd.models import School
from services import admin, calendar_edits, triggers
from services.errors import Invalid
from services.signin import Viewer

router = dashboard_router()


async def _calendar_page(
    request: Request,
    res: ResourcesDep,
    who: Viewer,
    school: School,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    year = admin.school_year_view(school, await res.clock())
    nation = (calendar.nation or "").replace("_", " ").title()
    return page(
        request,
        "dashboard/calendar.html",
        status=status,
        who=who,
        kinds=calendar_edits.KINDS,
        nations=[(n, n.replace("_", " ").title()) for n in calendar_edits.NATIONS],
        calendar=calendar,
        year=year,
        nation=nation,
        **extra,
    )


@router.get("/calendar", response_model=None)
async def calendar_page(
    request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """The school's year as the emails see it: entered, bank holidays and estimated."""
    saved = request.query_params.get("saved")
    return await _calendar_page(request, res, *found, saved=saved)


@router.post("/calendar/preview", response_model=None)
async def calendar_preview(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """What an .ics says, shown before anything is saved."""
    school = found[1]
    upload = await read_upload(file, MAX_BYTES)
    if upload is None:
        return problem(request, "Please choose your calendar file (.ics).", 422)
    if len(upload.data) > MAX_BYTES:
        return problem(request, "The calendar file is over 1 MB.", 413)
    try:
        preview = admin.calendar_from_ics(school, upload.data)
    except Invalid as exc:
        return problem(request, f"Nothing was saved: {exc.detail}", 422)
    return await _calendar_page(request, res, *found, preview=preview, filename=upload.filename)


@router.post("/calendar/apply", response_model=None)
async def calendar_apply(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    calendar: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Save the previewed dates; running follow-throughs re-plan at once."""
    school = found[1]
    try:
        chosen = SchoolCalendar.model_validate_json(calendar)
    except ValidationError:
        return problem(
            request, "These dates could not be read. Please preview the file again.", 422
        )
    await admin.set_calendar(db, school, chosen)
    return await _saved(res, db, school)


async def _saved(res: ResourcesDep, db: DbDep, school: School) -> Response:
    # Committed first: the follow-throughs re-read the calendar when told it changed.
    await db.commit()
    await triggers.recalendar(res.client, res.settings.task_queue, school.id)
    return RedirectResponse("/dashboard/calendar?saved=1", status_code=303)


@router.post("/calendar/dates", response_model=None)
async def add_dates(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add a term, a closure or an INSET day; running follow-throughs re-plan at once."""
    school = found[1]
    try:
        await calendar_edits.add(db, school, kind, name, start, end, await res.clock())
    except Invalid as exc:
        form = {"kind": kind, "name": name, "start": start, "end": end}
        return await _calendar_page(
            request, res, *found, status=422, errors=field_errors(exc), form=form
        )
    return await _saved(res, db, school)


@router.post("/calendar/dates/remove", response_model=None)
async def remove_dates(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Remove a term or a closure; running follow-throughs re-plan at once."""
    try:
        await calendar_edits.remove(db, found[1], kind, name, start, end)
    except Invalid as exc:
        return await _calendar_page(request, res, *found, status=422, errors=field_errors(exc))
    return await _saved(res, db, found[1])


@router.post("/calendar/place", response_model=None)
async def set_place(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    nation: Annotated[str, Form(max_length=40)] = "",
    timezone: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Choose the nation (its bank holidays) and the time zone."""
    try:
        await calendar_edits.place(db, found[1], nation, timezone)
    except Invalid as exc:
        form = {"nation": nation, "timezone": timezone}
        return await _calendar_page(
            request, res, *found, status=422, errors=field_errors(exc), form=form
        )
    return await _saved(res, db, found[1])
