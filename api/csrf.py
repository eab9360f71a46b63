"""Cross-site request forgery: every dashboard form carries a token another site cannot know.

A signed-in page's forms carry the session's own token (kept with the session row);
the sign-in forms, before there is a session, a random token that must match their
cookie's. Both are checked on every POST, before the route runs, by the dependency on
each router. Links that are their own authority (a teacher's /a/..., a leader's
/dashboard/level3/...) need none: the unguessable token in the path is what a forger
would lack, and with it they could simply follow the link.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from api.deps import ResourcesDep, SessionDep

FIELD = "csrf"


class StaleForm(Exception):
    """A dashboard form without the right token: sent from elsewhere, or from a page kept
    open across a sign-out or sign-in."""


async def _sent(request: Request) -> str:
    # The form is parsed once per request: the route's own fields come from the same parse.
    return str((await request.form()).get(FIELD, ""))


async def check_session_form(request: Request, session: SessionDep) -> None:
    if request.method != "POST" or session is None:
        return  # without a session the route signs nobody in and changes nothing
    if not hmac.compare_digest((await _sent(request)).encode(), session.csrf.encode()):
        raise StaleForm


async def check_sign_in_form(request: Request, res: ResourcesDep) -> None:
    if request.method == "POST" and not res.sessions.sign_in_token_matches(
        request, await _sent(request)
    ):
        raise StaleForm


async def check_any_form(request: Request, res: ResourcesDep, session: SessionDep) -> None:
    """For a page both the signed-in and the not-yet-signed-in use (choosing a school)."""
    if session is not None:
        await check_session_form(request, session)
    else:
        await check_sign_in_form(request, res)


SessionForms = Depends(check_session_form)
AnyForms = Depends(check_any_form)
SignInForms = Depends(check_sign_in_form)
