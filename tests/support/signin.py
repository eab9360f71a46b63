"""The dashboard as a leader's browser uses it: forms carry the token the page gave them.

Signing in by the emailed magic link (as a given leader, or as a new CPD lead), and
posting a signed-in page's forms, each with the CSRF token read from the page that holds
the form.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlmodel import select

from cpd.models import Leader
from services import admin
from tests.support.inbox import links_of
from tests.support.stack import Stack

_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in_link(s: Stack, email: str, api: httpx.AsyncClient | None = None) -> str:
    """Ask for a sign-in link from the login page; the link that arrived."""
    api = api or s.api
    before = len(s.smtp.inbox.to(email))
    login = await api.get("/dashboard/login")
    page = await api.post("/dashboard/login", data={"email": email, "csrf": form_token(login.text)})
    assert "we have emailed it a link" in page.text
    [*_, mail] = await s.smtp.inbox.wait_for(before + 1, email)
    return next(link for link in links_of(mail) if "/dashboard/auth/" in link)


async def follow(link: str, api: httpx.AsyncClient) -> httpx.Response:
    """Open a sign-in link and press its button."""
    confirm = await api.get(link)
    return await api.post(link, data={"csrf": form_token(confirm.text)})


async def sign_in(s: Stack, email: str, api: httpx.AsyncClient | None = None) -> None:
    api = api or s.api
    signed = await follow(await sign_in_link(s, email, api), api)
    assert signed.status_code == 303, signed.text


async def sign_in_as_lead(s: Stack, school_id: str | None = None, email: str = "") -> str:
    """Sign in as a CPD lead of the stack's school (or another), by the emailed link; the
    lead is added first when the school has none by that address. Returns the address."""
    school_id = school_id or s.school_id
    email = email or f"lead-{school_id}@school.test".lower()
    async with s.db() as db:
        found = await db.exec(
            select(Leader).where(Leader.email == email, Leader.school_id == school_id)
        )
        known = found.first() is not None
    if not known:
        await admin.add_leader(s.db, email, "cpd_lead", school_id=school_id)
    await sign_in(s, email)
    return email


async def post_form(
    s: Stack, path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    """A signed-in page's form: the token comes from the dashboard's own page."""
    token = form_token((await s.api.get("/dashboard")).text)
    return await s.api.post(path, data={**(data or {}), "csrf": token}, **kwargs)


async def sign_out(s: Stack) -> httpx.Response:
    return await post_form(s, "/dashboard/logout")
