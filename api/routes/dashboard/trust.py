"""A trust's pages: its schools' figures for an academic year, a school's drill-down, and
both as CSV. Only for the trust role; anyone else (a school's leader included) gets 404,
and so does a school of another trust."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from api.deps import DbDep, ResourcesDep
from api.pages import page
from api.routes.dashboard.base import SignedInDep, dashboard_router
from services import trust
from services.errors import NotFound
from services.signin import Viewer

router = dashboard_router()

BAD_YEAR = "Choose an academic year from the list."


def _year(today: trust.AcademicYear, asked: str) -> tuple[trust.AcademicYear, str]:
    """The academic year asked for (this one when none is): and an error, for a bad one."""
    if not asked:
        return today, ""
    if not asked.isdigit() or not 2000 <= int(asked) <= today.autumn + 1:
        return today, BAD_YEAR
    return trust.AcademicYear(int(asked)), ""


async def _view(
    res: ResourcesDep, db: DbDep, who: Viewer, year: str, school: str
) -> tuple[Viewer, trust.TrustView, str]:
    """The trust's figures (or one of its schools'), for the trust role only."""
    if who.role != "trust":
        raise NotFound("Only a trust's leaders see its pages.")
    today = trust.AcademicYear.of((await res.clock()).date())
    chosen, error = _year(today, year)
    if school:
        return who, await trust.school_view(db, who.scope, school, chosen, today), error
    return who, await trust.trust_view(db, who.scope, chosen, today), error


@router.get("/trust", response_model=None)
async def trust_page(
    request: Request, res: ResourcesDep, db: DbDep, who: SignedInDep, year: str = ""
) -> Response:
    return _page(request, *await _view(res, db, who, year, ""))


@router.get("/trust/schools/{school_id}", response_model=None)
async def school_page(
    school_id: str, request: Request, res: ResourcesDep, db: DbDep, who: SignedInDep, year: str = ""
) -> Response:
    return _page(request, *await _view(res, db, who, year, school_id))


@router.get("/trust/export.csv", response_model=None)
async def trust_export(
    request: Request, res: ResourcesDep, db: DbDep, who: SignedInDep, year: str = ""
) -> Response:
    return _csv(request, *await _view(res, db, who, year, ""), "trust")


@router.get("/trust/schools/{school_id}/export.csv", response_model=None)
async def school_export(
    school_id: str, request: Request, res: ResourcesDep, db: DbDep, who: SignedInDep, year: str = ""
) -> Response:
    return _csv(request, *await _view(res, db, who, year, school_id), "school")


def _page(request: Request, who: Viewer, view: trust.TrustView, error: str) -> Response:
    return page(
        request,
        "dashboard/trust.html",
        status=422 if error else 200,
        who=who,
        view=view,
        error=error,
        fewer=trust.FEWER,
        withheld=trust.WITHHELD,
        small_group=trust.SMALL_GROUP,
        support_kinds=trust.SUPPORT,
        title_of=trust.checkpoint_title,
    )


def _csv(request: Request, who: Viewer, view: trust.TrustView, error: str, name: str) -> Response:
    if error:
        return _page(request, who, view, error)
    filename = f"{name}-{view.year.autumn}-{view.year.autumn + 1}.csv"
    return Response(
        trust.export_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
