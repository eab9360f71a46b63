"""Signing in through the school's own provider (OpenID Connect) against a real provider
on a loopback port; choosing among several schools; API keys no longer sign in."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx

from services import admin
from tests.api.test_observability import scrape, value
from tests.support.browser import artifact, browser, refusals, served
from tests.support.inbox import free_port
from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    oidc_provider,
    sign_in_at_provider,
    use_provider,
)
from tests.support.signin import form_token, post_form, sign_in, sign_out
from tests.support.stack import Stack, StackFactory

LEAD = "head@hillside.example"


async def signed_in_as(s: Stack) -> str:
    home = await s.api.get("/dashboard")
    return home.text if home.status_code == 200 else ""


async def test_a_cpd_lead_signs_in_with_the_schools_provider(dev_stack: StackFactory) -> None:
    with oidc_provider() as idp:
        async with dev_stack() as s:
            await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
            provider = await use_provider(s, idp)
            idp.user("head-1", email=LEAD, email_verified=True)
            before = await scrape(s)

            # The school's own login address offers its provider.
            login = await s.api.get(f"/dashboard/login?school={s.school_id}")
            assert "Sign in with your school account" in login.text
            # So does the address typed in, by its domain.
            found = await s.api.post(
                "/dashboard/oidc/find", data={"email": LEAD, "csrf": form_token(login.text)}
            )
            assert f"/dashboard/oidc/start?provider={provider.id}" in found.text

            back = await sign_in_at_provider(s, provider.id or 0, "head-1")
            assert back.status_code == 303 and back.headers["location"] == "/dashboard"
            assert "Hillside Academy: CPD events" in await signed_in_as(s)
            after = await scrape(s)

    # Discovery, then the code flow with PKCE: the verifier sent to the token endpoint is
    # the one whose S256 hash went to the authorization endpoint.
    [asked] = idp.authorize
    assert asked["client_id"] == CLIENT_ID and asked["code_challenge_method"] == "S256"
    assert asked["response_type"] == "code" and "openid" in asked["scope"].split()
    assert asked["state"] and asked["nonce"]
    [token] = idp.token
    digest = hashlib.sha256(token["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
    assert token["grant_type"] == "authorization_code"
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token["authorization"] == f"Basic {basic}"  # the client secret, unsealed
    signed = value(after, "cpd_signins_total", method="oidc", outcome="signed_in")
    assert signed - value(before, "cpd_signins_total", method="oidc", outcome="signed_in") == 1


async def test_every_bad_sign_in_is_refused_and_counted(dev_stack: StackFactory) -> None:
    with oidc_provider() as idp:
        async with dev_stack() as s:
            await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
            await admin.add_leader(
                s.db, "head@elsewhere.example", "cpd_lead", school_id=s.school_id
            )
            pid = (await use_provider(s, idp)).id or 0
            idp.user("head-1", email=LEAD, email_verified=True)
            idp.user("unverified", email=LEAD, email_verified=False)
            idp.user("stranger", email="visitor@hillside.example", email_verified=True)
            idp.user("outsider", email="head@elsewhere.example", email_verified=True)
            before = await scrape(s)

            async def refused(sub: str, status: int, says: str) -> None:
                answer = await sign_in_at_provider(s, pid, sub)
                assert answer.status_code == status and says in answer.text, answer.text
                assert 'role="alert"' in answer.text
                assert not await signed_in_as(s)

            idp.as_client = "another-service"  # a token issued for another client id
            await refused("head-1", 401, "meant for another service")
            idp.as_client = ""
            idp.nonce = "not-the-one-we-sent"
            await refused("head-1", 401, "not the one this browser started")
            idp.nonce = ""
            idp.id_token = lambda t: (
                t[:-8] + ("AAAAAAAA" if not t.endswith("AAAAAAAA") else "BBBBBBBB")
            )
            await refused("head-1", 401, "could not be verified")
            idp.id_token = None
            await refused("unverified", 401, "not verified")
            await refused("outsider", 401, "Accounts from @elsewhere.example cannot sign in")
            await refused("stranger", 401, "not set up to sign in here")

            # A provider that is not set up.
            for unknown in ("999999", "abc"):
                gone = await s.api.get(f"/dashboard/oidc/start?provider={unknown}")
                assert gone.status_code == 400 and "no longer set up" in gone.text

            # A callback whose state is not this browser's.
            leave = await s.api.get(f"/dashboard/oidc/start?provider={pid}")
            assert leave.status_code == 303
            forged = await s.api.get("/dashboard/oidc/callback?code=x&state=forged")
            assert forged.status_code == 400 and "not the one this browser started" in forged.text
            assert not await signed_in_as(s)
            after = await scrape(s)
    grew = value(after, "cpd_signins_total", method="oidc", outcome="refused") - value(
        before, "cpd_signins_total", method="oidc", outcome="refused"
    )
    assert grew == 7


async def test_an_expired_id_token_is_refused(dev_stack: StackFactory) -> None:
    with oidc_provider(token_lifetime=timedelta(minutes=-10)) as idp:
        async with dev_stack() as s:
            await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
            provider = await use_provider(s, idp)
            idp.user("head-1", email=LEAD, email_verified=True)
            answer = await sign_in_at_provider(s, provider.id or 0, "head-1")
            assert answer.status_code == 401 and "had expired" in answer.text
            assert not await signed_in_as(s)


async def test_anyone_from_the_domain_may_sign_in_as_a_leader_if_the_school_says(
    dev_stack: StackFactory,
) -> None:
    with oidc_provider() as idp:
        async with dev_stack() as s:
            provider = await use_provider(s, idp, others_as="leader")
            idp.user("teacher", email="teacher@hillside.example", email_verified=True)
            assert (await sign_in_at_provider(s, provider.id or 0, "teacher")).status_code == 303
            home = await signed_in_as(s)
            assert "Hillside Academy" in home and "/dashboard/calendar" not in home  # no names
            # Removing the provider ends the sessions it started.
            from services import providers

            assert await providers.remove_provider(s.db, provider.id or 0)
            assert not await signed_in_as(s)


async def test_a_leader_of_two_schools_chooses_and_switches(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        other, _ = await s.new_school()
        third, _ = await s.new_school()
        await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
        await admin.add_leader(s.db, LEAD, "leader", school_id=other)
        await admin.add_leader(s.db, "lead@third.example", "cpd_lead", school_id=third)
        await sign_in(s, LEAD)  # the magic link signs in the person; then they choose
        choose = await s.api.get("/dashboard/choose")
        assert choose.status_code == 200
        assert (
            "Hillside Academy (CPD lead)" in choose.text
            and f"School {other} (Leader)" in choose.text
        )
        assert f"School {third}" not in choose.text
        assert not await signed_in_as(s)  # no session until they choose
        ids = [int(x) for x in _leader_ids(choose.text)]

        # A forged choice: another school's lead's row.
        async with s.db() as db:
            from sqlmodel import select

            from cpd.models import Leader

            theirs = (await db.exec(select(Leader.id).where(Leader.school_id == third))).one()
        token = form_token(choose.text)
        forged = await s.api.post("/dashboard/choose", data={"leader": theirs, "csrf": token})
        assert forged.status_code == 404 and not await signed_in_as(s)
        nonsense = await s.api.post("/dashboard/choose", data={"leader": "x1", "csrf": token})
        assert nonsense.status_code == 404 and not await signed_in_as(s)

        first = await s.api.post("/dashboard/choose", data={"leader": ids[0], "csrf": token})
        assert first.status_code == 303
        home = await signed_in_as(s)
        assert "Hillside Academy: CPD events" in home and "Switch school" in home

        # Switching needs no new sign-in; the forged choice is still refused.
        switch = await s.api.get("/dashboard/choose")
        assert "viewing now" in switch.text
        assert (await post_form(s, "/dashboard/choose", {"leader": theirs})).status_code == 404
        assert "Hillside Academy: CPD events" in await signed_in_as(s)
        moved = await post_form(s, "/dashboard/choose", {"leader": ids[1]})
        assert moved.status_code == 303
        assert f"School {other}" in await signed_in_as(s)
        await sign_out(s)

        # A leader of one school sees no chooser and no "Switch school".
        await sign_in(s, "lead@third.example")
        assert "Switch school" not in await signed_in_as(s)


def _leader_ids(html: str) -> list[str]:
    import re

    return re.findall(r'name="leader" value="(\d+)"', html)


async def test_a_trust_provider_offers_the_trusts_schools_to_choose(
    dev_stack: StackFactory,
) -> None:
    with oidc_provider() as idp:
        async with dev_stack() as s:
            second, _ = await s.new_school()
            outside, _ = await s.new_school()
            await admin.create_trust(s.db, "oak-trust", "Oak Trust", [s.school_id, second])
            for school in (s.school_id, second, outside):
                await admin.add_leader(s.db, "exec@oak.example", "cpd_lead", school_id=school)
            provider = await use_provider(s, idp, domains=("oak.example",), trust_id="oak-trust")
            idp.user("exec", email="exec@oak.example", email_verified=True)
            back = await sign_in_at_provider(s, provider.id or 0, "exec")
            assert back.headers["location"] == "/dashboard/choose"
            choose = (await s.api.get("/dashboard/choose")).text
            # The trust's sign-in vouches for the trust's schools only.
            assert "Hillside Academy" in choose and f"School {second}" in choose
            assert f"School {outside}" not in choose
            login = await s.api.get(f"/dashboard/login?school={second}")
            assert "Sign in with your school account" in login.text


async def test_an_api_key_no_longer_signs_in_to_the_dashboard(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        login = await s.api.get("/dashboard/login")
        assert "API key" not in login.text
        tried = await s.api.post(
            "/dashboard/key", data={"api_key": s.key, "csrf": form_token(login.text)}
        )
        assert tried.status_code in (404, 405)
        assert "cpd_session" not in tried.headers.get("set-cookie", "")
        assert not await signed_in_as(s)


async def test_a_trust_leader_signs_in_and_switches_school_in_a_browser(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    with oidc_provider() as idp:
        async with dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s, served(s.app, port):
            second, _ = await s.new_school()
            await admin.create_trust(s.db, "oak-trust", "Oak Trust", [s.school_id, second])
            await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
            await admin.add_leader(s.db, LEAD, "leader", school_id=second)
            await use_provider(s, idp, trust_id="oak-trust")
            idp.user("head-1", email=LEAD, email_verified=True)
            async with browser() as chromium:
                page = await chromium.new_page(viewport={"width": 320, "height": 700})
                refused = refusals(page)
                await page.goto(f"http://127.0.0.1:{port}/dashboard")
                await page.get_by_label("Your school email").fill(LEAD)
                await page.get_by_role("button", name="Sign in with my school account").click()
                await page.get_by_role("link", name="Sign in with your school account").click()
                # The provider's own page: the account is chosen there.
                await page.locator('input[name="sub"]').fill("head-1")
                await page.get_by_role("button", name="Authorize").click()
                await page.get_by_role("heading", name="Choose a school").wait_for()
                await page.screenshot(path=artifact("choose-a-school.png"), full_page=True)
                await page.get_by_role("button", name="Hillside Academy (CPD lead)").click()
                await page.get_by_role("heading", name="Hillside Academy: CPD events").wait_for()
                await page.get_by_role("link", name="Switch school").click()
                await page.get_by_role("button", name=f"School {second} (Leader)").click()
                await page.get_by_role("heading", name=f"School {second}").first.wait_for()
                assert "/dashboard/calendar" not in await page.content()  # a leader's view
                assert refused == []


async def test_a_fresh_sign_in_in_a_signed_in_browser_is_the_one_that_counts(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        other, _ = await s.new_school()
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)
        await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
        await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=other)
        await sign_in(s, "deputy@hillside.example")
        kept = httpx.Cookies(s.api.cookies)
        await sign_in(s, LEAD)  # in the same browser: LEAD's schools are offered, not deputy's
        choose = await s.api.get("/dashboard/choose")
        assert f"School {other} (CPD lead)" in choose.text
        [*_, theirs] = _leader_ids(choose.text)
        assert (await post_form(s, "/dashboard/choose", {"leader": theirs})).status_code == 303
        assert f"School {other}" in await signed_in_as(s)
        # The deputy's session in this browser ended when the new one began.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=s.app), base_url="http://testserver", cookies=kept
        ) as old:
            assert (await old.get("/dashboard")).status_code == 303


async def test_a_provider_that_cannot_be_reached_gets_a_clear_page(
    dev_stack: StackFactory,
) -> None:
    with oidc_provider() as idp:
        gone = idp.issuer  # the provider stops at the end of this block
    async with dev_stack() as s:
        idp.issuer = gone
        provider = await use_provider(s, idp)
        leave = await s.api.get(f"/dashboard/oidc/start?provider={provider.id}")
        assert leave.status_code == 400 and "could not be reached" in leave.text
        assert "cpd_oidc" not in leave.headers.get("set-cookie", "")
