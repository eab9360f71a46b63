"""Managing a running event from the dashboard (CPD lead only): its people, adding people,
pausing, resuming or cancelling everyone, the CSV export. One teacher's page and
controls are api/routes/dashboard/teacher.py.

Each action is the API's own use case (services/participants.py, services/triggers.py);
every one is a plain form, answered by a redirect to the page that shows what changed.
Anyone but the school's CPD lead gets a 404 (api/routes/dashboard/base.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import DbDep, ResourcesDep, ViewerDep
from api.forms import read_upload
from api.pages import page, problem
from api.routes.dashboard.base import LeadDep, dashboard_router
from cpd.roster import parse_pasted
from services import manage, rosters, triggers
from services.errors import Conflict, Refused
from services.export import export_event
from services.schemas import ParticipantsAdd
from services.tenancy import owned_event

router = dashboard_router()

EVENT = "/events/{event_id}"
XLSX_HINT = "If it is an older Excel file, save it as .xlsx or CSV (File, Save As) and try again."


def _people(event_id: str, **done: str | int) -> RedirectResponse:
    query = "&".join(f"{k}={v}" for k, v in done.items())
    return RedirectResponse(f"/dashboard/events/{event_id}/people?{query}", status_code=303)


@router.get(EVENT + "/people", response_model=None)
async def people_page(
    event_id: str, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Everyone in the event, with what can be done for each, and for the whole event."""
    view = await manage.event_people(db, found[1].id, event_id)
    q = request.query_params
    return page(
        request,
        "dashboard/people.html",
        who=who,
        event=view.event,
        people=view.people,
        done=q.get("done", ""),
        added=q.get("added"),
        already=q.get("already"),
    )


@router.get(EVENT + "/export.csv", response_model=None)
async def export_csv(
    event_id: str, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """The event as a spreadsheet, as the API's export gives it."""
    filename, table = await export_event(db, found[1].id, event_id)
    return Response(
        table,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(EVENT + "/cancel", response_model=None)
async def cancel_confirm(
    event_id: str, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Cancelling everyone cannot be undone: say what stops before it does."""
    view = await manage.event_people(db, found[1].id, event_id)
    return page(
        request,
        "dashboard/sure.html",
        who=who,
        what="cancel",
        event=view.event,
        count=len(view.people),
    )


@router.get(EVENT + "/add", response_model=None)
async def add_page(
    event_id: str, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    event = await owned_event(db, found[1].id, event_id)
    return page(request, "dashboard/add_people.html", who=who, event=event, pasted="")


@router.post(EVENT + "/add", response_model=None)
async def add_people(
    event_id: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    pasted: Annotated[str, Form(max_length=1_000_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Add people to a running event: a pasted list or a roster file. Any bad row and
    nobody is added; anyone already in the event is left as they are (so a second press
    of the button adds nobody twice)."""
    event = await owned_event(db, found[1].id, event_id)

    def refused(message: str, rows: object = (), status: int = 422) -> Response:
        return page(
            request,
            "dashboard/add_people.html",
            status=status,
            who=who,
            event=event,
            pasted=pasted,
            error=message,
            rows=rows,
        )

    upload = await read_upload(file, rosters.MAX_CSV_BYTES)
    try:
        if upload is not None:
            roster = rosters.read_roster(upload.data)
        elif pasted.strip():
            roster = parse_pasted(pasted)
        else:
            return refused("Paste names and email addresses, or choose a CSV or Excel file.")
        if not roster.ok:
            report = rosters.report(roster)
            bad = [r for r in report.rows if r.status == "error"]
            if upload is not None and upload.filename.lower().endswith(".xls"):
                report.problems.append(XLSX_HINT)
            return refused(
                " ".join(report.problems)
                or f"{len(bad)} of the rows need fixing. Nobody was added.",
                bad,
            )
        body = ParticipantsAdd(participants=rosters.people(roster))
        added = await triggers.add_participants(
            res.client, res.settings.task_queue, db, event.school_id, event.id, body
        )
    except ValidationError as exc:
        return refused(f"Nobody was added: {exc.errors()[0]['msg']}.")
    except Conflict as exc:
        return refused(exc.detail, status=409)
    except Refused as exc:
        return refused(f"Nobody was added: {exc.detail}", status=413)
    return _people(event_id, added=len(added.added), already=len(added.already_in_event))


# One route for the whole event's three actions (cancel after its confirm page). Last, so
# that /add above is matched first.
@router.post(EVENT + "/{action}", response_model=None)
async def event_action(
    event_id: str,
    action: Literal["pause", "resume", "cancel"],
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    found: LeadDep,
) -> Response:
    school_id, queue = found[1].id, res.settings.task_queue
    try:
        if action == "cancel":
            await triggers.cancel_event(res.client, queue, db, school_id, event_id)
        else:
            await triggers.signal_event(res.client, queue, db, school_id, event_id, action)
    except Conflict as exc:
        return problem(request, exc.detail, 409)
    return _people(event_id, done=action)
