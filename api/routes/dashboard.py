"""The leaders' dashboard: server-rendered pages, no JavaScript needed, fine on a phone.

Every figure comes from the same report queries as the JSON API. What a
leader sees depends on their role: a CPD lead sees names; other leaders see
aggregates and who asked for support; a trust sees its schools rolled up.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, func, select

from activities.smtp import Outgoing
from api.charts import impact_over_time
from api.deps import Resources, ResourcesDep, SessionDep
from api.sessions import LeaderSession
from cpd.models import ApiKey, Event, Leader, Participant, School
from cpd.plans import Plan
from cpd.security import LinkError, api_secret_matches, split_api_key
from emails.render import EmailRenderer
from services import reports

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


def _page(
    res: Resources, request: Request, name: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    return res.templates.TemplateResponse(request, f"dashboard/{name}", ctx, status_code=status)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, res: ResourcesDep) -> HTMLResponse:
    return _page(res, request, "login.html")


@router.post("/login", response_class=HTMLResponse)
async def send_magic_link(
    request: Request,
    res: ResourcesDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
) -> HTMLResponse:
    leaders = (
        await session.exec(select(Leader).where(Leader.email == email.strip().lower()))
    ).all()
    for leader in leaders[:1]:
        assert leader.id is not None
        base = res.settings.public_base_url.rstrip("/")
        link = f"{base}/dashboard/auth/{res.sessions.magic_link_token(leader.id)}"
        rendered = EmailRenderer().render("magic_link", {"link": link})
        message = EmailMessage()
        name, addr = parseaddr(res.settings.mail_from)
        message["From"] = Address(display_name=name, addr_spec=addr)
        message["To"] = leader.email
        message["Subject"] = rendered.subject
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        await res.mailer.send(Outgoing.of(message))
    # The same answer either way: the page never says who is registered.
    return _page(res, request, "login.html", sent=True)


@router.get("/auth/{token}", response_class=HTMLResponse)
async def magic_link_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    try:
        res.sessions.leader_id_from(token)
    except LinkError as exc:
        return _page(
            res, request, "login.html", status=410 if exc.expired else 400, error=exc.reason
        )
    return _page(res, request, "confirm.html", token=token)


@router.post("/auth/{token}", response_model=None)
async def magic_link_sign_in(
    token: str, request: Request, res: ResourcesDep, session: SessionDep
) -> Response:
    try:
        leader = await session.get(Leader, res.sessions.leader_id_from(token))
    except LinkError as exc:
        return _page(
            res, request, "login.html", status=410 if exc.expired else 400, error=exc.reason
        )
    if leader is None:
        return _page(
            res, request, "login.html", status=400, error="That sign-in link is no longer valid."
        )
    scope = leader.trust_id if leader.role == "trust" else leader.school_id
    response = RedirectResponse("/dashboard", status_code=303)
    res.sessions.start(
        response, LeaderSession(role=leader.role, scope=scope or "", email=leader.email)
    )
    return response


@router.post("/key", response_model=None)
async def key_sign_in(
    request: Request,
    res: ResourcesDep,
    session: SessionDep,
    api_key: Annotated[str, Form(max_length=200)],
) -> Response:
    """A session from a school API key: the CPD lead's view of that school."""
    parts = split_api_key(api_key.strip())
    row = None
    if parts is not None:
        row = (await session.exec(select(ApiKey).where(ApiKey.prefix == parts[0]))).first()
    if (
        parts is None
        or row is None
        or row.revoked_at is not None
        or not api_secret_matches(parts[1], row.key_hash)
    ):
        return _page(
            res, request, "login.html", status=401, error="That API key was not recognised."
        )
    response = RedirectResponse("/dashboard", status_code=303)
    res.sessions.start(response, LeaderSession(role="cpd_lead", scope=row.school_id))
    return response


@router.post("/logout", response_model=None)
async def logout(res: ResourcesDep) -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    res.sessions.end(response)
    return response


@router.get("", response_model=None)
async def home(request: Request, res: ResourcesDep, session: SessionDep) -> Response:
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    if who.role == "trust":
        return _page(res, request, "trust.html", who=who, schools=await _rollup(session, who.scope))
    school = await session.get(School, who.scope)
    events = (
        await session.exec(
            select(Event).where(Event.school_id == who.scope).order_by(col(Event.event_date).desc())
        )
    ).all()
    counts = await reports.participant_counts(session, [e.id for e in events])
    return _page(res, request, "events.html", who=who, school=school, events=events, counts=counts)


@router.get("/events/{event_id}", response_model=None)
async def event_page(
    event_id: str, request: Request, res: ResourcesDep, session: SessionDep
) -> Response:
    who = res.sessions.current(request)
    if who is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    event = await session.get(Event, event_id)
    school = await session.get(School, event.school_id) if event else None
    allowed = event is not None and (
        event.school_id == who.scope
        or (who.role == "trust" and school is not None and school.trust_id == who.scope)
    )
    if event is None or not allowed:
        return _page(res, request, "missing.html", status=404, who=who)
    plan = Plan.model_validate_json(event.plan_json)
    leader_view = who.role != "trust"  # the trust sees figures, never names or words
    people, counts, answers, names, shared = await res.reads.run(
        session,
        reports.params(event.id, plan),
        reports.CENSUS,
        reports.STEP_COUNTS,
        reports.IMPACT,
        reports.NAMES,
        reports.SHARED_REFLECTIONS,
    )
    census = reports.census_from(people)
    impact = reports.impact_from(answers, plan)
    return _page(
        res,
        request,
        "event.html",
        who=who,
        event=event,
        total=census.total,
        funnel=_funnel(census.stages),
        steps=reports.step_rates_from(counts, plan),
        attention=reports.attention_from(census, names) if leader_view else None,
        impact=impact,
        chart=impact_over_time(impact.checkpoints),
        reflections=reports.reflections_from(shared) if leader_view else [],
    )


FUNNEL = [
    ("scheduled", "Not started"),
    ("waiting", "Between steps"),
    ("awaiting_answer", "Asked, awaiting answer"),
    ("paused", "Paused"),
    ("completed", "Completed"),
    ("withdrawn", "Withdrawn"),
]


def _funnel(stages: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, stages.get(stage, 0)) for stage, label in FUNNEL]


async def _rollup(session: SessionDep, trust_id: str) -> list[dict[str, Any]]:
    """Each school of the trust: events, teachers, completed, and who needs support."""
    schools = (
        await session.exec(
            select(School).where(School.trust_id == trust_id).order_by(col(School.name))
        )
    ).all()
    out = []
    for school in schools:
        rows = (
            await session.exec(
                select(Participant.stage, Participant.needs_help, func.count())
                .where(Participant.school_id == school.id)
                .group_by(Participant.stage, col(Participant.needs_help))
            )
        ).all()
        events = (
            await session.exec(
                select(func.count()).select_from(Event).where(Event.school_id == school.id)
            )
        ).one()
        out.append(
            {
                "name": school.name,
                "events": events,
                "teachers": sum(n for _, _, n in rows),
                "completed": sum(n for stage, _, n in rows if stage == "completed"),
                "needs_help": sum(n for _, help_, n in rows if help_),
            }
        )
    return out
