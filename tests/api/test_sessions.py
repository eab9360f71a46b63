"""Dashboard sessions end when they should; sign-in links work once; forms need their token."""

from __future__ import annotations

import httpx
from sqlmodel import select

from cpd.models import DashboardSession
from services import admin
from tests.support.inbox import links_of
from tests.support.signin import (
    follow,
    form_token,
    sign_in,
    sign_in_as_lead,
    sign_in_link,
    sign_out,
)
from tests.support.stack import Stack, StackFactory


def browser(
    s: Stack, cookies: httpx.Cookies | None = None, https: bool = False
) -> httpx.AsyncClient:
    """Another browser on the same app, with these cookies."""
    scheme = "https" if https else "http"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=s.app),
        base_url=f"{scheme}://testserver",
        cookies=cookies,
    )


async def signed_in(api: httpx.AsyncClient) -> bool:
    home = await api.get("/dashboard")
    return home.status_code == 200


async def test_a_signed_out_session_cookie_no_longer_works(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        kept = httpx.Cookies(s.api.cookies)  # what a thief copied from the browser
        assert await signed_in(s.api)
        out = await sign_out(s)
        assert out.headers["location"] == "/dashboard/login"
        async with browser(s, kept) as stolen:
            assert not await signed_in(stolen)
            assert (await stolen.get("/dashboard")).headers["location"] == "/dashboard/login"


async def test_a_session_an_api_key_started_no_longer_stands(dev_stack: StackFactory) -> None:
    """Sessions from before API keys stopped signing in to the dashboard end."""
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        async with s.db() as db:
            row = (await db.exec(select(DashboardSession))).one()
            row.leader_id, row.api_key_id = None, 1
            db.add(row)
            await db.commit()
        assert not await signed_in(s.api)


async def test_a_role_change_or_removal_ends_the_leaders_session(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)
        await sign_in(s, "deputy@hillside.example")
        assert await signed_in(s.api)

        await admin.set_leader_role(s.db, "deputy@hillside.example", "cpd_lead", s.school_id)
        assert not await signed_in(s.api)
        await sign_in(s, "deputy@hillside.example")
        home = await s.api.get("/dashboard")
        assert "School calendar" in home.text  # now the CPD lead's view

        await admin.remove_leader(s.db, "deputy@hillside.example", s.school_id, None)
        assert not await signed_in(s.api)


async def test_a_sign_in_link_signs_in_once(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        link = await sign_in_link(s, "head@hillside.example")
        [mail] = s.smtp.inbox.to("head@")
        assert str(mail["Message-ID"]).endswith("@localhost>")  # the sender's domain
        assert mail["Date"] is not None
        assert (await follow(link, s.api)).status_code == 303
        async with browser(s) as later:
            again = await follow(link, later)
            assert again.status_code == 400 and "used already" in again.text
            assert not await signed_in(later)
        # A new link works, and the first session is still signed in.
        async with browser(s) as other:
            await sign_in(s, "head@hillside.example", other)
            assert await signed_in(other)
        assert await signed_in(s.api)


async def test_dashboard_forms_need_the_token_their_page_gave(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        # Another site can post a sign-in form, but not with the token of this browser's cookie.
        async with browser(s) as victim:
            link = await sign_in_link(s, "head@hillside.example", victim)
            forged = await victim.post(link, data={"csrf": "x"})
            assert forged.status_code == 403 and "This form has expired" in forged.text
            assert not await signed_in(victim)
            ask = await victim.post(
                "/dashboard/login", data={"email": "head@hillside.example", "csrf": ""}
            )
            assert ask.status_code == 403
        assert len(s.smtp.inbox.to("head@")) == 1  # only the link asked for with the token

        # Signed in, each form carries the session's token; without it nothing changes.
        await sign_in(s, "head@hillside.example")
        async with browser(s) as other:
            await sign_in(s, "head@hillside.example", other)
            theirs = form_token((await other.get("/dashboard")).text)
        assert theirs != form_token((await s.api.get("/dashboard")).text)
        out = await s.api.post("/dashboard/logout", data={"csrf": theirs})
        assert out.status_code == 403
        assert (await s.api.post("/dashboard/logout")).status_code == 403
        assert await signed_in(s.api)
        await sign_out(s)
        assert not await signed_in(s.api)


async def test_over_https_the_cookies_are_host_only_and_secure(dev_stack: StackFactory) -> None:
    async with dev_stack(public_base_url="https://testserver") as s, browser(s, https=True) as api:
        login = await api.get("/dashboard/login")
        sign_in_cookie = login.headers["set-cookie"]
        assert sign_in_cookie.startswith("__Host-cpd_sign_in=")
        assert "Secure" in sign_in_cookie and "HttpOnly" in sign_in_cookie
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        asked = await api.post(
            "/dashboard/login",
            data={"email": "head@hillside.example", "csrf": form_token(login.text)},
        )
        assert "we have emailed it a link" in asked.text
        [mail] = await s.smtp.inbox.wait_for(1, "head@hillside.example")
        link = next(x for x in links_of(mail) if "/dashboard/auth/" in x)
        confirm = await api.get(link)
        signed = await api.post(link, data={"csrf": form_token(confirm.text)})
        session_cookie = next(
            c for c in signed.headers.get_list("set-cookie") if "cpd_session" in c
        )
        assert session_cookie.startswith("__Host-cpd_session=") and "Secure" in session_cookie
        assert await signed_in(api)
