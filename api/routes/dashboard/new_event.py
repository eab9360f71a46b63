"""A CPD lead starts a follow-through: the form, the preview (nothing sent, nothing saved),
then the confirm, which starts one event however often it is posted."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.forms import read_upload
from api.pages import page, problem
from api.routes.dashboard.base import LeadDep, dashboard_router
from cpd.models import School
from services import new_event, plan_library
from services.errors import Invalid
from services.rosters import MAX_CSV_BYTES
from services.signin import Viewer

router = dashboard_router()

Text = Annotated[str, Form(max_length=200)]


async def _form_page(
    request: Request,
    db: DbDep,
    who: Viewer,
    school: School,
    form: new_event.NewEventForm,
    status: int = 200,
    **extra: Any,
) -> Response:
    return page(
        request,
        "dashboard/new.html",
        status=status,
        who=who,
        form=form,
        plans=await plan_library.choices(db, school.id),
        earlier=await new_event.earlier_events(db, school.id),
        **extra,
    )


@router.get("/new", response_model=None)
async def new_page(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    """Start a follow-through: the plan, the event, the people."""
    return await _form_page(request, db, *found, new_event.NewEventForm())


@router.post("/new/preview", response_model=None)
async def new_preview(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    title: Text = "",
    event_date: Annotated[str, Form(max_length=40)] = "",
    plan_id: Annotated[str, Form(max_length=64)] = "",
    pasted: Annotated[str, Form(max_length=1_000_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    picked: Annotated[list[str] | None, Form()] = None,
    everyone: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Every email and date the follow-through would bring, and every person's verdict."""
    viewer, school = found
    form = new_event.NewEventForm(
        title, event_date, plan_id, pasted, await read_upload(file, MAX_CSV_BYTES),
        picked or [], everyone or [],
    )  # fmt: skip
    now = await res.clock()
    settings = res.settings
    draft = await new_event.draft(
        db, school, form, now, settings.email_budget_per_week, settings.public_base_url
    )
    if draft.errors:
        status = 413 if draft.too_large else 422
        return await _form_page(request, db, viewer, school, form, status, errors=draft.errors)
    people = json.dumps([[r.name, r.email] for r in draft.good])
    return page(
        request,
        "dashboard/new_preview.html",
        status=422 if draft.bad else 200,
        who=viewer,
        draft=draft,
        people=people,
        plans=await plan_library.choices(db, school.id),
        earlier=await new_event.earlier_events(db, school.id),
        form=form,
    )


@router.post("/new/confirm", response_model=None)
async def new_confirm(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    reference: Annotated[str, Form(max_length=120)] = "",
    title: Text = "",
    event_date: Annotated[str, Form(max_length=40)] = "",
    plan_id: Annotated[str, Form(max_length=64)] = "",
    people: Annotated[str, Form(max_length=MAX_CSV_BYTES)] = "[]",
) -> Response:
    """Start the previewed follow-through; posted twice, it still starts one."""
    school = found[1]
    try:
        pairs = [(str(n), str(e)) for n, e in json.loads(people)]
    except (ValueError, TypeError):
        return problem(request, "This form could not be read: please preview again.", 422)
    form = new_event.NewEventForm(title, event_date, plan_id)
    try:
        out = await new_event.start(
            res.client,
            res.settings.task_queue,
            db,
            school,
            await res.clock(),
            form,
            reference,
            pairs,
        )
    except Invalid as exc:
        return problem(request, f"Nothing was started: {exc.detail}", 422)
    return RedirectResponse(f"/dashboard/events/{out.id}", status_code=303)
