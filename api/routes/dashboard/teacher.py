"""One teacher in a running event, on the dashboard (CPD lead only): their timeline, and
the API's controls for them: pause, resume, remove (after a page saying what stops),
a corrected address (refused beside the field when it is not one), a fresh link.

Each action is the API's own use case (services/participants.py, services/links.py),
answered by a redirect to the teacher's page saying what was done.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.pages import page, problem
from api.routes.dashboard.base import LeadDep, dashboard_router
from services import manage, participants
from services.errors import Conflict
from services.links import resend_to
from services.schemas import EmailChange
from services.tenancy import owned_event, owned_participant

router = dashboard_router()

PERSON = "/events/{event_id}/people/{participant_id}"


def _person(event_id: str, participant_id: str, done: str) -> RedirectResponse:
    url = f"/dashboard/events/{event_id}/people/{participant_id}?done={done}"
    return RedirectResponse(url, status_code=303)


@router.get(PERSON, response_model=None)
async def person_page(
    event_id: str,
    participant_id: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
) -> Response:
    """One teacher's timeline: sent, answered, what comes next; and what can be done."""
    return await _person_page(request, res, db, who, event_id, participant_id)


async def _person_page(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    event_id: str,
    participant_id: str,
    status: int = 200,
    **extra: str,
) -> Response:
    assert who is not None
    view = await manage.person_view(res.client, db, who.scope, event_id, participant_id)
    return page(
        request,
        "dashboard/person.html",
        status=status,
        who=who,
        view=view,
        done=request.query_params.get("done", ""),
        **extra,
    )


@router.get(PERSON + "/remove", response_model=None)
async def remove_confirm(
    event_id: str, participant_id: str, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    person = await owned_participant(db, found[1].id, event_id, participant_id)
    event = await owned_event(db, found[1].id, event_id)
    return page(request, "dashboard/sure.html", who=who, what="remove", event=event, person=person)


@router.post(PERSON + "/email", response_model=None)
async def change_email(
    event_id: str,
    participant_id: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """A new address for the rest of this follow-through; a bad one is refused beside the
    field, and nothing changes."""

    async def refused(message: str) -> Response:
        return await _person_page(
            request,
            res,
            db,
            who,
            event_id,
            participant_id,
            422,
            email=email,
            email_error=message,
        )

    try:
        new = EmailChange(email=email.strip()).email
    except ValidationError:
        return await refused("Enter an email address, like name@school.org.uk.")
    try:
        person = await owned_participant(db, found[1].id, event_id, participant_id)
        if new.lower() == person.email.lower():
            return await refused("That is the address this follow-through already uses.")
        await participants.change_email(res.client, db, person, new)
    except Conflict as exc:
        await db.rollback()
        return await refused(exc.detail)
    return _person(event_id, participant_id, "email")


# One route for the four one-click actions (remove after its confirm page). Last, so
# that /email above is matched first.
@router.post(PERSON + "/{action}", response_model=None)
async def person_action(
    action: Literal["pause", "resume", "remove", "resend"],
    event_id: str,
    participant_id: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
) -> Response:
    try:
        person = await owned_participant(db, found[1].id, event_id, participant_id)
        if action == "pause":
            await participants.pause(res.client, db, person, "paused by the CPD lead")
        elif action == "resume":
            await participants.resume(res.client, db, person)
        elif action == "remove":
            await participants.remove(res.client, db, person)
        else:
            await resend_to(db, res.mailer, res.settings, res.signer, person)
    except Conflict as exc:
        return problem(request, exc.detail, 409)
    return _person(event_id, participant_id, action)
