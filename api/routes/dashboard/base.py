"""What every dashboard page shares: its router's settings, and who may see a page.

A page a viewer may not see answers 404 (not 403), so it does not say it exists.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.csrf import SessionForms
from api.deps import DbDep
from api.pages import page
from cpd.models import School
from services.signin import Viewer

SIGN_IN = "/dashboard/login"


def dashboard_router() -> APIRouter:
    # Every POST on a dashboard page carries the session's CSRF token (api/csrf.py).
    return APIRouter(
        prefix="/dashboard",
        tags=["dashboard"],
        include_in_schema=False,
        dependencies=[SessionForms],
    )


def missing(request: Request, who: Viewer | None) -> Response:
    return page(request, "dashboard/missing.html", status=404, who=who)


async def lead_school(
    request: Request, db: DbDep, who: Viewer | None
) -> tuple[Viewer, School] | Response:
    """The signed-in CPD lead and their school; anyone else gets the sign-in page or a 404."""
    if who is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    school = await db.get(School, who.scope) if who.sees_names else None
    if school is None:
        return missing(request, who)
    return who, school
