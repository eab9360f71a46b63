"""The leaders' dashboard: server-rendered pages, no JavaScript needed, fine on a phone.

Every figure comes from the same report queries as the JSON API (services/dashboard.py),
shown as the viewer's role allows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.charts import impact_over_time
from api.deps import DbDep, ResourcesDep
from api.forms import read_upload
from api.pages import page, problem
from cpd.calendar import SchoolCalendar
from cpd.ics import MAX_BYTES
from cpd.models import School
from cpd.security import LinkError
from emails.content import LEVEL3_LABELS
from services import admin, dashboard, digest, leader_checks, signin, support, triggers
from services.errors import Invalid, NotFound, Unauthorized

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
LOGIN = "dashboard/login.html"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return page(request, LOGIN)


@router.post("/login", response_class=HTMLResponse)
async def send_magic_link(
    request: Request, res: ResourcesDep, db: DbDep, email: Annotated[str, Form(max_length=320)]
) -> HTMLResponse:
    base = res.settings.public_base_url.rstrip("/")
    await signin.email_link(
        db,
        res.mailer,
        res.settings,
        email,
        lambda leader_id: f"{base}/dashboard/auth/{res.sessions.magic_link_token(leader_id)}",
    )
    # The same answer either way: the page never says who is registered.
    return page(request, LOGIN, sent=True)


@router.get("/auth/{token}", response_class=HTMLResponse)
async def magic_link_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    try:
        res.sessions.leader_id_from(token)
    except LinkError as exc:
        return page(request, LOGIN, status=410 if exc.expired else 400, error=exc.reason)
    return page(request, "dashboard/confirm.html", token=token)


@router.post("/auth/{token}", response_model=None)
async def magic_link_sign_in(
    token: str, request: Request, res: ResourcesDep, db: DbDep
) -> Response:
    try:
        who = await signin.leader_viewer(db, res.sessions.leader_id_from(token))
    except LinkError as exc:
        return page(request, LOGIN, status=410 if exc.expired else 400, error=exc.reason)
    except Unauthorized as exc:
        return page(request, LOGIN, status=400, error=exc.detail)
    response = RedirectResponse("/dashboard", status_code=303)
    res.sessions.start(response, who)
    return response


@router.post("/key", response_model=None)
async def key_sign_in(
    request: Request, res: ResourcesDep, db: DbDep, api_key: Annotated[str, Form(max_length=200)]
) -> Response:
    """A session from a school API key: the CPD lead's view of that school."""
    try:
        who = await signin.key_viewer(db, api_key)
    except Unauthorized as exc:
        return page(request, LOGIN, status=401, error=exc.detail)
    response = RedirectResponse("/dashboard", status_code=303)
    res.sessions.start(response, who)
    return response


@router.post("/logout", response_model=None)
async def logout(res: ResourcesDep) -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    res.sessions.end(response)
    return response


@router.get("", response_model=None)
async def home(request: Request, res: ResourcesDep, db: DbDep) -> Response:
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
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
async def event_page(event_id: str, request: Request, res: ResourcesDep, db: DbDep) -> Response:
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
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
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A CPD lead marks a request for help in hand, or supported (which clears the flag)."""
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    if not who.sees_names or status not in ("in_hand", "supported"):
        refusal = "Only the school's CPD lead can mark this, as in hand or supported."
        return problem(request, refusal, 422)
    mark: Literal["in_hand", "supported"] = "supported" if status == "supported" else "in_hand"
    try:
        await support.mark(res.client, db, who.scope, event_id, participant_id, mark)
    except NotFound:
        return page(request, "dashboard/missing.html", status=404, who=who)
    return RedirectResponse(f"/dashboard/events/{event_id}", status_code=303)


@router.get("/digest/{token}", response_class=HTMLResponse)
async def digest_off_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    res.signer.verify(token, "digest")  # a bad link is a clear page (api/errors.py)
    return page(request, "dashboard/digest_off.html", token=token)


@router.post("/digest/{token}", response_class=HTMLResponse)
async def digest_off(token: str, request: Request, res: ResourcesDep, db: DbDep) -> HTMLResponse:
    """No more weekly summaries for this CPD lead (a mail client's one-click too)."""
    await digest.switch_off(db, res.signer, token)
    return page(request, "dashboard/digest_off.html", done=True)


@router.get("/level3/{token}", response_class=HTMLResponse)
async def level3_page(
    token: str, request: Request, res: ResourcesDep, db: DbDep, rating: str = ""
) -> HTMLResponse:
    """A CPD lead's level 3 question (services/leader_checks.py): a GET changes nothing."""
    asked = await leader_checks.asked(db, res.signer, token)
    return page(
        request,
        "dashboard/level3.html",
        question=leader_checks.question_for(asked.event.title),
        choices=list(LEVEL3_LABELS.items()),
        chosen=rating if rating in LEVEL3_LABELS else "",
    )


@router.post("/level3/{token}", response_class=HTMLResponse)
async def level3_answer(
    token: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    rating: Annotated[str, Form(max_length=1)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
) -> HTMLResponse:
    asked = await leader_checks.asked(db, res.signer, token)
    if rating not in LEVEL3_LABELS:
        return problem(request, "Please choose a number from 1 to 5.", 422)
    first = await leader_checks.answer(db, asked.check, rating, text)
    return page(
        request,
        "dashboard/level3.html",
        done=True,
        first=first,
        event=asked.event,
        chosen_label=LEVEL3_LABELS[rating],
    )


async def _calendar_school(request: Request, res: ResourcesDep, db: DbDep) -> School | Response:
    """The signed-in CPD lead's school; anyone else gets the sign-in page or a 404."""
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    school = await db.get(School, who.scope) if who.sees_names else None
    if school is None:
        return page(request, "dashboard/missing.html", status=404, who=who)
    return school


async def _calendar_page(
    request: Request, res: ResourcesDep, school: School, **extra: Any
) -> HTMLResponse:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    year = admin.school_year_view(school, await res.clock())
    nation = (calendar.nation or "").replace("_", " ").title()
    return page(
        request,
        "dashboard/calendar.html",
        who=res.sessions.current(request),
        calendar=calendar,
        year=year,
        nation=nation,
        **extra,
    )


@router.get("/calendar", response_model=None)
async def calendar_page(request: Request, res: ResourcesDep, db: DbDep) -> Response:
    """The school's year as the emails see it: entered, bank holidays and estimated."""
    school = await _calendar_school(request, res, db)
    if not isinstance(school, School):
        return school
    return await _calendar_page(request, res, school, saved=request.query_params.get("saved"))


@router.post("/calendar/preview", response_model=None)
async def calendar_preview(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """What an .ics says, shown before anything is saved."""
    school = await _calendar_school(request, res, db)
    if not isinstance(school, School):
        return school
    upload = await read_upload(file, MAX_BYTES)
    if upload is None:
        return problem(request, "Please choose your calendar file (.ics).", 422)
    if len(upload.data) > MAX_BYTES:
        return problem(request, "The calendar file is over 1 MB.", 413)
    try:
        preview = admin.calendar_from_ics(school, upload.data)
    except Invalid as exc:
        return problem(request, f"Nothing was saved: {exc.detail}", 422)
    return await _calendar_page(request, res, school, preview=preview, filename=upload.filename)


@router.post("/calendar/apply", response_model=None)
async def calendar_apply(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    calendar: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Save the previewed dates; running follow-throughs re-plan at once."""
    school = await _calendar_school(request, res, db)
    if not isinstance(school, School):
        return school
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
