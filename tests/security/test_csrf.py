"""Every dashboard form refuses a post without its token, or with another session's: a
page on another site cannot make a signed-in leader's browser change anything. The routes
are walked from the app, so a new form is covered the day it is added."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute

from services import admin
from tests.security.state import changed, snapshot, this_schools_things
from tests.support.routes import every_route
from tests.support.signin import form_token, sign_in, sign_in_link
from tests.support.stack import Stack, StackFactory

# Authorised by the unguessable signed token in the path, as a teacher's links are, and
# posted by mail clients' one-click unsubscribe: no session, so no CSRF token (api/csrf.py).
TOKEN_IN_PATH = ("/dashboard/digest/{token}", "/dashboard/level3/{token}")
# Posted before there is a session: the double-submitted sign-in token guards them.
SIGN_IN_FORMS = (
    "/dashboard/login",
    "/dashboard/oidc/find",
    "/dashboard/choose",
    "/dashboard/auth/{token}",
)
FORM = {"email": "mallory@elsewhere.example", "status": "supported", "confirm": "yes"}


def posts(s: Stack, ids: dict[str, str], token: str) -> list[str]:
    found = []
    for route in every_route(s.app.routes):
        if not isinstance(route, APIRoute) or "POST" not in (route.methods or set()):
            continue
        if not route.path.startswith("/dashboard") or route.path in TOKEN_IN_PATH:
            continue
        actions = ("pause", "resume", "remove", "resend") if "{action}" in route.path else ("",)
        found += [route.path.format(action=a, token=token, **ids) for a in actions]
    return found


def browser(s: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=s.app), base_url="http://testserver")


async def test_every_dashboard_form_refuses_a_missing_or_foreign_token(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        ids = await this_schools_things(s)
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", s.school_id)
        link = await sign_in_link(s, "head@hillside.example")
        magic = link.rsplit("/", 1)[1]
        paths = posts(s, ids, magic)
        assert (
            len(paths) > 25
            and set(SIGN_IN_FORMS) - {p.replace(magic, "{token}") for p in paths} == set()
        )
        async with browser(s) as lead, browser(s) as other, browser(s) as stranger:
            await sign_in(s, "lead@hillside.example", lead)
            await sign_in(s, "head@hillside.example", other)
            mine = form_token((await lead.get("/dashboard")).text)
            theirs = form_token((await other.get("/dashboard")).text)
            # A sign-in form's token, from the same browser's own cookie: not a session's.
            before_sign_in = form_token((await stranger.get("/dashboard/login")).text)
            assert len({mine, theirs, before_sign_in}) == 3
            before = await snapshot(s)

            for path in paths:
                for client, token in (
                    (lead, None),
                    (lead, theirs),
                    (lead, before_sign_in),
                    (lead, ""),
                    (stranger, None),
                    (stranger, mine),
                ):
                    data = {**FORM, **({"csrf": token} if token is not None else {})}
                    answer = await client.post(path, data=data)
                    if client is stranger and answer.status_code == 303:
                        # Signed out, a session's form sends the browser to sign in.
                        assert answer.headers["location"] == "/dashboard/login", path
                        continue
                    assert answer.status_code == 403, (path, token, answer.status_code)
                    assert "not sent from this dashboard" in answer.text

            assert changed(before, await snapshot(s)) == {}
            assert len(s.smtp.inbox.to("mallory@")) == 0
            # Still signed in, and the refused posts used up no sign-in link.
            assert (await lead.get("/dashboard")).status_code == 200
            fresh = browser(s)
            async with fresh:
                confirm = await fresh.get(link)
                used = await fresh.post(link, data={"csrf": form_token(confirm.text)})
                assert used.status_code == 303
