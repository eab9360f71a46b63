"""Data-protection requests from the dashboard (CPD lead only): find a teacher by address,
download everything held about them as one ZIP (services/subject_access.py), or erase
it all (services/erasure.py), after a page that says what goes.

The address travels in the form's body, never in a URL (where logs would keep it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.pages import page
from api.routes.dashboard.base import LeadDep, dashboard_router
from services import erasure, subject_access
from services.errors import NotFound

router = dashboard_router()

Email = Annotated[str, Form(max_length=320)]


@router.get("/data", response_model=None)
async def data_page(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    return page(request, "dashboard/data.html", who=who, email="")


@router.post("/data/find", response_model=None)
async def find(
    request: Request, db: DbDep, who: ViewerDep, found: LeadDep, email: Email = ""
) -> Response:
    """What the school holds about one address: their follow-throughs, and the two actions."""
    held = await subject_access.held_about(db, found[1].id, email) if email.strip() else []
    error = "" if held else "Nobody with that address is in any of the school's events."
    if not email.strip():
        error = "Enter the email address their CPD emails went to."
    return page(
        request,
        "dashboard/data.html",
        status=200 if held else 404 if email.strip() else 422,
        who=who,
        email=email.strip(),
        held=held,
        error=error,
    )


@router.post("/data/export", response_model=None)
async def export(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    email: Email = "",
) -> Response:
    """Everything held about one teacher, as one ZIP."""
    school = found[1]
    try:
        filename, data = await subject_access.subject_access(
            res.client, db, res.settings, school.id, school.name, email
        )
    except NotFound as exc:
        return page(request, "dashboard/data.html", 404, who=who, email=email, error=exc.detail)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/data/erase", response_model=None)
async def erase(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    email: Email = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Erasure asks first (a page saying what goes), and is done on the second press."""
    school_id = found[1].id
    held = await subject_access.held_about(db, school_id, email) if email.strip() else []
    if not held:
        error = "Nobody with that address is in any of the school's events."
        return page(request, "dashboard/data.html", 404, who=who, email=email, error=error)
    if confirm != "yes":
        return page(request, "dashboard/sure.html", who=who, what="erase", email=email, held=held)
    erased = await erasure.erase_by_email(res.client, db, res.settings, school_id, email.strip())
    return page(request, "dashboard/data.html", who=who, email="", erased=erased)
