"""What every dashboard page shares: its router, and who may see a page.

Two refusals are the same on every page, so the router answers them once
(``DashboardRoute``) instead of each route: nobody signed in goes to the sign-in page,
and anything not found, or not the viewer's to see, is the 404 page (not a 403, so a
page does not say that it exists).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from api.csrf import SessionForms
from api.deps import DbDep, ViewerDep
from api.pages import page
from cpd.models import School
from services.errors import Invalid, NotFound
from services.signin import Viewer

SIGN_IN = "/dashboard/login"


class SignInFirst(Exception):
    """Nobody is signed in: the page sends them to sign in."""


class DashboardRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answered(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst:
                return RedirectResponse(SIGN_IN, status_code=303)
            except NotFound:
                return missing(request, getattr(request.state, "viewer", None))

        return answered


def dashboard_router() -> APIRouter:
    # Every POST on a dashboard page carries the session's CSRF token (api/csrf.py).
    return APIRouter(
        prefix="/dashboard",
        tags=["dashboard"],
        include_in_schema=False,
        dependencies=[SessionForms],
        route_class=DashboardRoute,
    )


def field_errors(exc: Invalid) -> dict[str, str]:
    """A refusal's messages by the field they belong beside on the page."""
    return {f["field"]: f["message"] for f in exc.fields}


def missing(request: Request, who: Viewer | None) -> Response:
    return page(request, "dashboard/missing.html", status=404, who=who)


async def signed_in(request: Request, who: ViewerDep) -> Viewer:
    if who is None:
        raise SignInFirst
    request.state.viewer = who  # for the 404 page's menu, should one follow
    return who


SignedInDep = Annotated[Viewer, Depends(signed_in)]


async def lead_school(db: DbDep, who: SignedInDep) -> tuple[Viewer, School]:
    """The signed-in CPD lead and their school; anyone else gets the 404 page."""
    school = await db.get(School, who.scope) if who.sees_names else None
    if school is None:
        raise NotFound("Only the school's CPD lead sees this page.")
    return who, school


LeadDep = Annotated[tuple[Viewer, School], Depends(lead_school)]
