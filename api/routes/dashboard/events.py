"""The dashboard's home (a school's events, or a trust's schools) and an event's page."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from api.charts import impact_over_time
from api.deps import DbDep, ResourcesDep
from api.pages import page, problem
from api.routes.dashboard import trust
from api.routes.dashboard.base import SIGN_IN, SignedInDep, dashboard_router
from services import admin, dashboard, support

router = dashboard_router()


@router.post("/logout", response_model=None)
async def logout(request: Request, res: ResourcesDep, db: DbDep) -> Response:
    """Sign out: the session ends here, not only in this browser."""
    response = RedirectResponse(SIGN_IN, status_code=303)
    await res.sessions.end(db, request, response)
    await db.commit()  # before the response goes: the cookie must not outlive it, not even briefly
    return response


@router.get("", response_model=None)
async def home(request: Request, res: ResourcesDep, db: DbDep, who: SignedInDep) -> Response:
    if who.role == "trust":
        return await trust.trust_page(request, res, db, who)  # the trust's own page
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
async def event_page(event_id: str, request: Request, db: DbDep, who: SignedInDep) -> Response:
    view = await dashboard.event_view(db, who, event_id)
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
    who: SignedInDep,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A CPD lead marks a request for help in hand, or supported (which clears the flag)."""
    if not who.sees_names or status not in ("in_hand", "supported"):
        refusal = "Only the school's CPD lead can mark this, as in hand or supported."
        return problem(request, refusal, 422)
    mark: Literal["in_hand", "supported"] = "supported" if status == "supported" else "in_hand"
    await support.mark(res.client, db, who.scope, event_id, participant_id, mark)
    return RedirectResponse(f"/dashboard/events/{event_id}", status_code=303)
