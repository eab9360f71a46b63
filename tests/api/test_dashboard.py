"""The leaders' dashboard: sign-in, roles, tenancy, and a walk in a real browser."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from services import admin
from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import days_ago
from tests.support.inbox import free_port, links_of
from tests.support.reports import run_a_term
from tests.support.signin import (
    form_token,
    sign_in,
    sign_in_as_lead,
    sign_in_link,
    sign_out,
)
from tests.support.stack import StackFactory


async def test_a_cpd_lead_walks_the_dashboard_in_a_browser(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    port = free_port()
    async with ts_stack(email_budget_per_week=10, public_base_url=f"http://127.0.0.1:{port}") as s:
        await run_a_term(time_env, s)
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        async with served(s.app, port), browser() as chromium:
            page = await chromium.new_page(viewport={"width": 390, "height": 844})
            refused = refusals(page)
            await page.goto(f"http://127.0.0.1:{port}/dashboard")
            await page.get_by_label("Your school email").fill("head@hillside.example")
            await page.get_by_role("button", name="Email me a sign-in link").click()
            await page.get_by_text("we have emailed it a link").wait_for()
            [mail] = await s.smtp.inbox.wait_for(1, "head@hillside.example")
            link = next(x for x in links_of(mail) if "/dashboard/auth/" in x)
            await page.goto(link)
            await page.get_by_role("button", name="Sign in to the dashboard").click()
            await page.get_by_role("heading", name="Hillside Academy: CPD events").wait_for()
            await page.get_by_role("link", name="Questioning").click()
            await page.get_by_role("heading", name="Impact over time").wait_for()
            body = await page.inner_text("main")
            assert "Completed" in body and "Asking for support" in body
            assert "Alan" in body  # asked for help
            assert "Grace" in body  # overdue: a CPD lead sees names
            chart = page.locator("svg[role=img]")
            assert "level 4 at 1 months: 3.0" in (await chart.locator("desc").text_content() or "")
            await page.screenshot(path=artifact("dashboard-event.png"), full_page=True)
            assert refused == []


async def test_roles_see_what_they_should(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        body = {
            "reference": "inset",
            "title": "Retrieval practice",
            "event_date": days_ago(12),
            "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
        }
        event_id = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()["id"]
        other_school, _ = await s.new_school()
        await admin.create_trust(s.db, "oak-trust", "Oak Trust", [s.school_id])
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)
        await admin.add_leader(s.db, "ceo@oak.example", "trust", trust_id="oak-trust")
        await admin.add_leader(s.db, "lead@other.example", "cpd_lead", school_id=other_school)

        assert (await s.api.get("/dashboard", follow_redirects=False)).headers[
            "location"
        ] == "/dashboard/login"
        # Unknown addresses get the same page, and no email.
        login = await s.api.get("/dashboard/login")
        page = await s.api.post(
            "/dashboard/login",
            data={"email": "stranger@evil.example", "csrf": form_token(login.text)},
        )
        assert "we have emailed it a link" in page.text and s.smtp.inbox.to("stranger@") == []

        # A mail scanner fetching the magic link signs nobody in.
        link = await sign_in_link(s, "deputy@hillside.example")
        scanned = await s.api.get(link)
        assert "cpd_session" not in scanned.headers.get("set-cookie", "")
        await s.api.post(link, data={"csrf": form_token(scanned.text)})
        event_page = await s.api.get(f"/dashboard/events/{event_id}")
        assert event_page.status_code == 200 and "Asking for support" in event_page.text
        assert "Overdue: 0" in event_page.text and "Needs a look" not in event_page.text

        # A character inside the signature: the last one carries padding bits, and some
        # changes to it decode to the same signature.
        forged = link[:-10] + ("A" if link[-10] != "A" else "B") + link[-9:]
        tampered = await s.api.get(forged)
        assert tampered.status_code == 400
        await sign_out(s)

        await sign_in(s, "ceo@oak.example")
        rollup = await s.api.get("/dashboard")
        assert "Across the trust" in rollup.text and "Hillside Academy" in rollup.text
        assert "Ada Lovelace" not in (await s.api.get(f"/dashboard/events/{event_id}")).text
        await sign_out(s)

        # Another school's lead cannot see this event; this school's CPD lead can.
        await sign_in(s, "lead@other.example")
        assert (await s.api.get(f"/dashboard/events/{event_id}")).status_code == 404
        await sign_out(s)
        await sign_in_as_lead(s)
        mine = await s.api.get(f"/dashboard/events/{event_id}")
        assert mine.status_code == 200 and "Needs a look" in mine.text


async def test_a_private_reflection_stays_private(dev_stack: StackFactory) -> None:
    plan = {
        "id": "reflect",
        "name": "Reflect",
        "steps": [{"id": "reflection", "kind": "reflection", "offset_days": 0}],
    }
    people = [
        {"name": "Ada Lovelace", "email": "ada@hillside.example"},
        {"name": "Alan Turing", "email": "alan@hillside.example"},
    ]
    async with dev_stack() as s:
        body = {
            "reference": "r",
            "title": "Coaching",
            "event_date": days_ago(12),
            "plan": plan,
            "participants": people,
        }
        event_id = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()["id"]
        for who, text, share in (
            ("ada@", "Shared thought", "yes"),
            ("alan@", "Private thought", ""),
        ):
            [mail] = await s.smtp.inbox.wait_for(1, who)
            answer = next(x for x in links_of(mail) if "/a/" in x)
            assert 'name="share"' in (await s.api.get(answer)).text
            data = {"text": text, **({"share": share} if share else {})}
            assert "recorded" in (await s.api.post(answer, data=data)).text

        items = (await s.api.get(f"/v1/events/{event_id}/participants", headers=s.auth())).json()[
            "items"
        ]
        texts = {p["name"]: (p["answers"][0]["text"], p["answers"][0]["shared"]) for p in items}
        assert texts == {"Ada Lovelace": ("Shared thought", True), "Alan Turing": ("", False)}
        export = (await s.api.get(f"/v1/events/{event_id}/export.csv", headers=s.auth())).text
        assert (
            "Shared thought" in export and "Private thought" not in export and "(private)" in export
        )
        await sign_in_as_lead(s)
        page = (await s.api.get(f"/dashboard/events/{event_id}")).text
        assert "Shared thought" in page and "Private thought" not in page
        # The teacher still has it, in their own portfolio.
        [mail] = s.smtp.inbox.to("alan@")
        portfolio = next(x for x in links_of(mail) if "/p/" in x)
        assert "Private thought" in (await s.api.get(portfolio)).text
