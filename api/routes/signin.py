"""Signing in to the dashboard: an emailed link (each works once), or the school's own
sign-in (OpenID Connect: Microsoft, Google or another provider); then, for someone who
leads several schools, choosing one.

The login page asks for an email address: "Email me a sign-in link" sends the link (if
the address is a leader's), "Sign in with my school account" offers the provider set up
for that address's domain (a link: /dashboard/oidc/start). /dashboard/login?school=<id>
offers that school's (and its trust's) providers straight away. API keys do not sign in
here: they are for programs.

Every form here carries the double-submitted sign-in token (api/csrf.py), so another site
cannot sign a leader in as someone else; sign-in emails are rate limited per address and
per client (services/ratelimit.py), so the form cannot flood an inbox.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.csrf import AnyForms, SignInForms
from api.deps import DbDep, LinkPagesLimit, ResourcesDep, SessionDep, client_of
from api.pages import page
from api.routes.dashboard.base import missing
from cpd.security import LinkError
from services import oidc, providers, signin
from services.errors import NotFound, TooMany, Unauthorized
from services.signin import Viewer

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, dependencies=[SignInForms]
)
# Choosing a school: before a session (just signed in) or with one (switching).
chooser = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, dependencies=[AnyForms]
)
LOGIN = "dashboard/login.html"
CALLBACK = "/dashboard/oidc/callback"
NOT_A_LEADER = (
    "You are not set up to sign in here. Ask your school's CPD lead to add you, "
    "or sign in with the address they added."
)


def _sign_in_page(
    request: Request, res: ResourcesDep, name: str = LOGIN, status: int = 200, **context: Any
) -> HTMLResponse:
    token = res.sessions.sign_in_token(request)
    response = page(request, name, status=status, csrf=token, **context)
    res.sessions.keep_sign_in_token(response, token)
    return response


def _limit(res: ResourcesDep, request: Request, address: str = "") -> None:
    wait = res.limiter.retry_after("sign_in_client", client_of(request))
    if address and not wait:
        wait = res.limiter.retry_after("sign_in_address", address.strip().lower())
    if wait:
        raise TooMany("Too many sign-in requests.", wait)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, res: ResourcesDep, db: DbDep, school: str = ""
) -> HTMLResponse:
    buttons = await providers.for_school(db, school[:64]) if school else []
    return _sign_in_page(request, res, buttons=buttons)


@router.post("/login", response_class=HTMLResponse)
async def send_magic_link(
    request: Request, res: ResourcesDep, db: DbDep, email: Annotated[str, Form(max_length=320)]
) -> HTMLResponse:
    # Counted whether or not the address is a leader's: a refusal tells nobody who is.
    _limit(res, request, email)
    base = res.settings.public_base_url.rstrip("/")
    await signin.email_link(
        db,
        res.mailer,
        res.settings,
        email,
        lambda address: f"{base}/dashboard/auth/{res.sessions.magic_link_token(address)}",
    )
    # The same answer either way: the page never says who is registered.
    return _sign_in_page(request, res, sent="yes")


@router.get("/auth/{token}", response_class=HTMLResponse, dependencies=[LinkPagesLimit])
async def magic_link_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    try:
        res.sessions.email_from(token)
    except LinkError as exc:
        return _sign_in_page(request, res, status=410 if exc.expired else 400, error=exc.reason)
    return _sign_in_page(request, res, "dashboard/confirm.html", token=token)


@router.post("/auth/{token}", response_model=None, dependencies=[LinkPagesLimit])
async def magic_link_sign_in(
    token: str, request: Request, res: ResourcesDep, db: DbDep
) -> Response:
    try:
        email = res.sessions.email_from(token)
    except LinkError as exc:
        return _sign_in_page(request, res, status=410 if exc.expired else 400, error=exc.reason)
    if not await signin.choices(db, email):
        signin.counted("magic_link", "refused")
        return _sign_in_page(
            request, res, status=400, error="That sign-in link is no longer valid."
        )
    try:
        await signin.use_link(db, token)
    except Unauthorized as exc:
        signin.counted("magic_link", "refused")
        return _sign_in_page(request, res, status=400, error=exc.detail)
    return await _let_in(request, res, db, email, None, "magic_link")


@router.post("/oidc/find", response_class=HTMLResponse)
async def find_provider(
    request: Request, res: ResourcesDep, db: DbDep, email: Annotated[str, Form(max_length=320)]
) -> HTMLResponse:
    """The sign-in set up for the address's domain, offered as a link: a form may not lead
    off this site (Content-Security-Policy form-action), a link may."""
    _limit(res, request)
    buttons = await providers.for_email(db, email)
    if not buttons:
        domain = email.strip().rpartition("@")[2] or "that address"
        error = f"No school sign-in is set up for {domain}. Use “Email me a sign-in link” instead."
        return _sign_in_page(request, res, status=400, error=error, email=email)
    return _sign_in_page(request, res, buttons=buttons, email=email)


@router.get("/oidc/start", response_model=None)
async def oidc_start(
    request: Request, res: ResourcesDep, db: DbDep, provider: str = "", login_hint: str = ""
) -> Response:
    """Off to the school's provider, with what the browser must bring back in a cookie."""
    _limit(res, request)
    try:
        chosen = int(provider) if provider.isdigit() else 0
        url, pending = await oidc.begin(db, chosen, _callback(res), login_hint[:320].strip())
    except Unauthorized as exc:
        return _sign_in_page(request, res, status=400, error=exc.detail)
    response = RedirectResponse(url, status_code=303)
    res.sessions.keep_oidc(response, pending)
    return response


def _callback(res: ResourcesDep) -> str:
    return res.settings.public_base_url.rstrip("/") + CALLBACK


@router.get("/oidc/callback", response_model=None, dependencies=[LinkPagesLimit])
async def oidc_callback(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    """Back from the provider: who it says this is, checked (services/oidc.py)."""
    pending = res.sessions.oidc_pending(request)

    def refused(message: str, status: int = 401) -> Response:
        signin.counted("oidc", "refused")
        response = _sign_in_page(request, res, status=status, error=message)
        res.sessions.forget(response, res.sessions.oidc_cookie)
        return response

    if pending is None:
        return refused(
            "That sign-in took too long, or was started in another browser. Please start again.",
            400,
        )
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        return refused(
            "That sign-in was not the one this browser started. Please start again.", 400
        )
    if error or not code:
        return refused("Your school's sign-in did not let you in. Please try again.")
    try:
        who = await oidc.finish(db, res.settings, pending, code, _callback(res))
    except Unauthorized as exc:
        return refused(exc.detail)
    if not await signin.choices(db, who.email, who.provider_id):
        return refused(NOT_A_LEADER)
    response = await _let_in(request, res, db, who.email, who.provider_id, "oidc")
    res.sessions.forget(response, res.sessions.oidc_cookie)
    return response


async def _let_in(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    email: str,
    provider_id: int | None,
    method: str,
) -> Response:
    """Someone proved their address: in, to their one school, or to choose among several."""
    options = await signin.choices(db, email, provider_id)
    if not options:
        signin.counted(method, "refused")
        return _sign_in_page(request, res, status=401, error=NOT_A_LEADER)
    signin.counted(method, "signed_in")
    if len(options) == 1:
        who = signin.viewer(email, options[0], provider_id, False)
        return await _signed_in(res, db, who, replacing=request)
    response = RedirectResponse("/dashboard/choose", status_code=303)
    res.sessions.keep_choosing(response, email, provider_id)
    return response


async def _signed_in(
    res: ResourcesDep, db: DbDep, who: Viewer, replacing: Request | None = None
) -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    await res.sessions.start(db, response, who, replacing)
    res.sessions.forget(response, res.sessions.choose_cookie)
    # Now, not after the response has gone (when the request's Db commits): the browser's
    # very next request, following the redirect, must find the session.
    await db.commit()
    return response


def _chooser_of(
    request: Request, res: ResourcesDep, session: SessionDep
) -> tuple[str, int | None] | None:
    """Whose schools to offer: the signed-in person's, or the one who just proved their
    address."""
    # A sign-in just made comes first: the browser may hold an older session.
    just_now = res.sessions.choosing(request)
    if just_now is None and session is not None and session.viewer.email:
        return session.viewer.email, session.viewer.provider_id
    return just_now


ROLE_NAMES = {"cpd_lead": "CPD lead", "leader": "Leader", "trust": "Trust leader"}


@chooser.get("/choose", response_model=None)
async def choose_page(
    request: Request, res: ResourcesDep, db: DbDep, session: SessionDep
) -> Response:
    person = _chooser_of(request, res, session)
    if person is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    options = await signin.choices(db, *person)
    who = session.viewer if session else None
    return _sign_in_page(
        request,
        res,
        "dashboard/choose.html",
        options=options,
        roles=ROLE_NAMES,
        who=who,
        current=(who.role, who.scope) if who else None,
    )


@chooser.post("/choose", response_model=None)
async def choose(
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    session: SessionDep,
    leader: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    person = _chooser_of(request, res, session)
    if person is None:
        return RedirectResponse("/dashboard/login", status_code=303)
    try:
        who = await signin.chosen(db, person[0], person[1], int(leader) if leader.isdigit() else 0)
    except NotFound:
        return missing(request, session.viewer if session else None)
    return await _signed_in(res, db, who, replacing=request)
