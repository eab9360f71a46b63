"""Settings: the school's settings page (send window, weekly budget) and its email
branding with a sample email (CPD lead only). Leaders and keys are access.py; the
calendar is calendar.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.pages import page, problem
from api.routes.dashboard.base import LeadDep, dashboard_router, field_errors
from cpd.branding import MIN_CONTRAST, Branding
from cpd.i18n import LANGUAGES
from cpd.models import School
from cpd.plans import StepKind
from services import admin, school_settings, triggers
from services.errors import Invalid
from services.signin import Viewer

router = dashboard_router()


async def _settings_page(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: Viewer,
    school: School,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    sending = await school_settings.sending(db, school, res.settings.email_budget_per_week)
    return page(
        request,
        "dashboard/settings.html",
        status=status,
        who=who,
        school=school,
        sending=sending,
        default_budget=res.settings.email_budget_per_week,
        max_budget=sending.most_budget,
        **extra,
    )


@router.get("/settings", response_model=None)
async def settings_page(
    request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """The school's settings: when its teachers are emailed, and links to the rest."""
    saved = request.query_params.get("saved", "")
    return await _settings_page(request, res, db, *found, saved=saved)


@router.post("/settings/sending", response_model=None)
async def save_sending(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    window_start: Annotated[str, Form(max_length=10)] = "",
    window_end: Annotated[str, Form(max_length=10)] = "",
    budget: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Save the send window and weekly budget; waiting emails move into a new window."""
    school = found[1]
    try:
        moved = await school_settings.save_sending(
            db, school, window_start, window_end, budget, res.settings.email_budget_per_week
        )
    except Invalid as exc:
        form = {"window_start": window_start, "window_end": window_end, "budget": budget}
        return await _settings_page(
            request, res, db, *found, status=422, errors=field_errors(exc), form=form
        )
    await db.commit()
    if moved:
        await triggers.recalendar(res.client, res.settings.task_queue, school.id)
    return RedirectResponse("/dashboard/settings?saved=sending", status_code=303)


@router.post("/settings/language", response_model=None)
async def save_language(
    request: Request,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """English or Welsh for the school's teachers, from the next email they are sent."""
    if language not in LANGUAGES:
        return problem(request, "Choose English or Welsh. Nothing was changed.", 422)
    await admin.set_language(db, found[1], language)
    await db.commit()
    return RedirectResponse("/dashboard/settings?saved=language", status_code=303)


def _branding_page(
    request: Request,
    res: ResourcesDep,
    who: Viewer,
    school: School,
    branding: Branding,
    form: dict[str, str],
    kind: StepKind,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    sample = school_settings.sample_email(res.settings.mail_from, school, branding, kind)
    return page(
        request,
        "dashboard/branding.html",
        status=status,
        who=who,
        school=school,
        form=form,
        sample=sample,
        kind=kind.value,
        kinds=school_settings.sample_kinds(),
        min_contrast=MIN_CONTRAST,
        **extra,
    )


def _kind(value: str | None) -> StepKind:
    known = dict(school_settings.sample_kinds())
    return StepKind(value) if value in known else StepKind.PRACTICE_CHECKIN


@router.get("/settings/branding", response_model=None)
async def branding_page(
    request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """How the school's emails look, with a sample rendered as teachers get it."""
    school = found[1]
    branding = Branding.model_validate_json(school.branding_json)
    form = school_settings.branding_form(branding)
    kind = _kind(request.query_params.get("kind"))
    saved = request.query_params.get("saved", "")
    return _branding_page(request, res, *found, branding, form, kind, saved=saved)


@router.post("/settings/branding", response_model=None)
async def save_branding(
    request: Request, res: ResourcesDep, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Preview the form's branding (nothing saved), or save it for the next emails."""
    school = found[1]
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    kind = _kind(form.get("kind"))
    saved_branding = Branding.model_validate_json(school.branding_json)
    try:
        if form.get("action") == "save":
            branding = await school_settings.save_branding(db, school, form)
            return RedirectResponse(
                f"/dashboard/settings/branding?saved=1&kind={kind.value}", status_code=303
            )
        branding = school_settings.branding_from_form(form)
    except Invalid as exc:
        # The sample stays the saved branding's: the form's values could not make one.
        return _branding_page(
            request, res, *found, saved_branding, form, kind, status=422, errors=field_errors(exc)
        )
    return _branding_page(request, res, *found, branding, form, kind, previewing=True)
