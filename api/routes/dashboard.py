"""The leaders' dashboard: server-rendered pages, no JavaScript needed, fine on a phone.

Every figure comes from the same report queries as the JSON API (services/dashboard.py),
shown as the viewer's role allows. Signing in is api/routes/signin.py; a CPD lead's
links from their emails are api/routes/leader_links.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.charts import impact_over_time
from api.csrf import SessionForms
from api.deps import DbDep, ResourcesDep, ViewerDep
from api.forms import read_upload
from api.pages import page, problem
from cpd.calendar import SchoolCalendar
from cpd.ics import MAX_BYTES
from cpd.models import School
from services import admin, dashboard, support, triggers
from services.errors import Invalid, NotFound
from services.signin import Viewer

# Every POST here carries the session's CSRF token (api/csrf.py).
router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, dependencies=[SessionForms]
)
SIGN_IN = "/dashboard/login"


@router.post("/logout", response_model=None)
async def logout(request: Request, res: ResourcesDep, db: DbDep) -> Response:
    """Sign out: the session ends here, not only in this browser."""
    response = RedirectResponse(SIGN_IN, status_code=303)
    await res.sessions.end(db, request, response)
    await db.commit()  # before the response goes: the cookie must not outlive it, not even briefly
    return response


@router.get("", response_model=None)
async def home(request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep) -> Response:
    if who is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    if who.role == "trust":
        schools = await dashboard.trust_rollup(db, who.scope)
        return page(request, "dashboard/trust.html", who=who, schools=schools)
    found = await dashboard.school_home(db, who.scope)
    return page(
        request,
        "dashboard/events.html",
        who=who,
        school=found.school,
        events=found.events,
        counts=found.counts,
        warnings=admin.school_year_view(found.school, await res.clock()).warnings
        if found.school and who.sees_names
        else [],
    )


@router.get("/events/{event_id}", response_model=None)
async def event_page(event_id: str, request: Request, db: DbDep, who: ViewerDep) -> Response:
    if who is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    try:
        view = await dashboard.event_view(db, who, event_id)
    except NotFound:
        return page(request, "dashboard/missing.html", status=404, who=who)
    return page(
        request,
        "dashboard/event.html",
        who=who,
        event=view.event,
        total=view.total,
        funnel=view.funnel,
        steps=view.steps,
        attention=view.attention,
        impact=view.impact,
        chart=impact_over_time(view.impact.checkpoints),
        reflections=view.reflections,
        support=view.support,
    )


@router.post("/events/{event_id}/support/{participant_id}", response_model=None)
async def mark_support(
    event_id: str,
    participant_id: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A CPD lead marks a request for help in hand, or supported (which clears the flag)."""
    if who is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    if not who.sees_names or status not in ("in_hand", "supported"):
        refusal = "Only the school's CPD lead can mark this, as in hand or supported."
        return problem(request, refusal, 422)
    mark: Literal["in_hand", "supported"] = "supported" if status == "supported" else "in_hand"
    try:
        await support.mark(res.client, db, who.scope, event_id, participant_id, mark)
    except NotFound:
        return page(request, "dashboard/missing.html", status=404, who=who)
    return RedirectResponse(f"/dashboard/events/{event_id}", status_code=303)


async def _calendar_school(
    request: Request, db: DbDep, who: Viewer | None
) -> tuple[Viewer, School] | Response:
    """The signed-in CPD lead and their school; anyone else gets the sign-in page or a 404."""
    if who is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    school = await db.get(School, who.scope) if who.sees_names else None
    if school is None:
        return page(request, "dashboard/missing.html", status=404, who=who)
    return who, school


async def _calendar_page(
    request: Request, res: ResourcesDep, who: Viewer, school: School, **extra: Any
) -> HTMLResponse:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    year = admin.school_year_view(school, await res.clock())
    nation = (calendar.nation or "").replace("_", " ").title()
    return page(
        request,
        "dashboard/calendar.html",
        who=who,
        calendar=calendar,
        year=year,
        nation=nation,
        **extra,
    )


@router.get("/calendar", response_model=None)
async def calendar_page(request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep) -> Response:
    """The school's year as the emails see it: entered, bank holidays and estimated."""
    found = await _calendar_school(request, db, who)
    if isinstance(found, Response):
        return found
    saved = request.query_params.get("saved")
    return await _calendar_page(request, res, *found, saved=saved)


@router.post("/calendar/preview", response_model=None)
async def calendar_preview(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """What an .ics says, shown before anything is saved."""
    found = await _calendar_school(request, db, who)
    if isinstance(found, Response):
        return found
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
    calendar: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Save the previewed dates; running follow-throughs re-plan at once."""
    found = await _calendar_school(request, db, who)
    if isinstance(found, Response):
        return found
    school = found[1]
    try:
        chosen = SchoolCalendar.model_validate_json(calendar)
    except ValidationError:
        return problem(
            request, "These dates could not be read. Please preview the file again.", 422
        )
    await admin.set_calendar(db, school, chosen)
    await db.commit()
    await triggers.recalendar(res.client, res.settings.task_queue, db, school.id)
    return RedirectResponse("/dashboard/calendar?saved=1", status_code=303)
