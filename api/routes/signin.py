"""Signing in to the dashboard: an emailed link (each works once), or the school's API key.

Every form here carries the double-submitted sign-in token (api/csrf.py), so another site
cannot sign a leader in as someone else; sign-in emails are rate limited per address and
per client (services/ratelimit.py), so the form cannot flood an inbox.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.csrf import SignInForms
from api.deps import DbDep, LinkPagesLimit, ResourcesDep, client_of
from api.pages import page
from cpd.security import LinkError
from services import signin
from services.errors import TooMany, Unauthorized
from services.signin import Viewer

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, dependencies=[SignInForms]
)
LOGIN = "dashboard/login.html"


def _sign_in_page(
    request: Request, res: ResourcesDep, name: str = LOGIN, status: int = 200, **context: str
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
async def login_page(request: Request, res: ResourcesDep) -> HTMLResponse:
    return _sign_in_page(request, res)


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
        lambda leader_id: f"{base}/dashboard/auth/{res.sessions.magic_link_token(leader_id)}",
    )
    # The same answer either way: the page never says who is registered.
    return _sign_in_page(request, res, sent="yes")


@router.get("/auth/{token}", response_class=HTMLResponse, dependencies=[LinkPagesLimit])
async def magic_link_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    try:
        res.sessions.leader_id_from(token)
    except LinkError as exc:
        return _sign_in_page(request, res, status=410 if exc.expired else 400, error=exc.reason)
    return _sign_in_page(request, res, "dashboard/confirm.html", token=token)


@router.post("/auth/{token}", response_model=None, dependencies=[LinkPagesLimit])
async def magic_link_sign_in(
    token: str, request: Request, res: ResourcesDep, db: DbDep
) -> Response:
    try:
        who = await signin.leader_viewer(db, res.sessions.leader_id_from(token))
        await signin.use_link(db, token)
    except LinkError as exc:
        return _sign_in_page(request, res, status=410 if exc.expired else 400, error=exc.reason)
    except Unauthorized as exc:
        return _sign_in_page(request, res, status=400, error=exc.detail)
    return await _signed_in(res, db, who)


@router.post("/key", response_model=None)
async def key_sign_in(
    request: Request, res: ResourcesDep, db: DbDep, api_key: Annotated[str, Form(max_length=200)]
) -> Response:
    """A session from a school API key: the CPD lead's view of that school."""
    _limit(res, request)
    try:
        who = await signin.key_viewer(db, api_key)
    except Unauthorized as exc:
        return _sign_in_page(request, res, status=401, error=exc.detail)
    return await _signed_in(res, db, who)


async def _signed_in(res: ResourcesDep, db: DbDep, who: Viewer) -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    await res.sessions.start(db, response, who)
    # Now, not after the response has gone (when the request's Db commits): the browser's
    # very next request, following the redirect, must find the session.
    await db.commit()
    return response
