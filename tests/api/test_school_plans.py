"""A school's own plans: saved in versions, listed beside the built-in ones, chosen by id
when an event is triggered, edited on the dashboard; a running follow-through keeps the
version it started with."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import Event
from services import admin
from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import days_ago
from tests.support.forms import form_fields
from tests.support.inbox import free_port, html_of, links_of, text_of
from tests.support.signin import post_form, sign_in, sign_in_as_lead, sign_out
from tests.support.stack import Stack, StackFactory
from tests.support.walk import Walker
from tests.support.year import PLAN_FIELDS, TEACHER, school_year_now, trigger


def our_plan(cue_prompt: str = "Try your plan this week.", **more: Any) -> dict[str, Any]:
    return {
        "name": "Our feedback plan",
        "steps": [
            {
                "id": "action-plan",
                "kind": "action_plan",
                "offset_days": 0,
                "send_time": "16:00",
                "prompt": "Which class, how often, for how long?",
            },
            {
                "id": "cue-week-1",
                "kind": "cue",
                "title": "First nudge",
                "offset_days": 7,
                "answer_window_working_days": 0,
                "reminders": {"max_reminders": 0},
                "prompt": cue_prompt,
            },
            {
                "id": "impact-1-month",
                "kind": "impact_check",
                "offset_days": 30,
                "guskey_level": 4,
            },
        ],
        **more,
    }


def event_body(plan_id: str, reference: str = "inset") -> dict[str, Any]:
    return {
        "reference": reference,
        "title": "Feedback that moves learning on",
        "event_date": days_ago(2),
        "plan_id": plan_id,
        "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
    }


async def test_plans_are_saved_in_versions_listed_and_chosen_by_id(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        first = await s.api.post("/v1/plans", json=our_plan(), headers=s.auth())
        assert first.status_code == 201, first.text
        assert first.json()["id"] == "school:our-feedback-plan@1"
        assert first.json()["plan"]["version"] == 1

        edited = our_plan("Version two's nudge.", key="our-feedback-plan")
        second = await s.api.post("/v1/plans", json=edited, headers=s.auth())
        assert second.status_code == 201, second.text
        assert second.json()["id"] == "school:our-feedback-plan@2"

        listed = (await s.api.get("/v1/plans", headers=s.auth())).json()["items"]
        assert [p["id"] for p in listed if p["builtin"]][:1] == ["whole-school-inset"]
        assert [(p["id"], p["version"]) for p in listed if not p["builtin"]] == [
            ("school:our-feedback-plan@2", 2)
        ]
        builtin = (await s.api.get("/v1/plans/whole-school-inset", headers=s.auth())).json()
        assert builtin["builtin"] is True and builtin["plan"]["steps"][0]["id"] == "action-plan"
        # Version 1 is kept as it was; the bare key names the latest.
        old = (await s.api.get("/v1/plans/school:our-feedback-plan@1", headers=s.auth())).json()
        assert old["plan"]["steps"][1]["prompt"] == "Try your plan this week."
        latest = (await s.api.get("/v1/plans/school:our-feedback-plan", headers=s.auth())).json()
        assert latest["version"] == 2
        assert latest["plan"]["steps"][1]["prompt"] == "Version two's nudge."

        # A new plan of the same name gets its own key, never a version of the first.
        again = await s.api.post("/v1/plans", json=our_plan(), headers=s.auth())
        assert again.json()["id"] == "school:our-feedback-plan-2@1"

        created = await s.api.post(
            "/v1/events", json=event_body("school:our-feedback-plan@1"), headers=s.auth()
        )
        assert created.status_code == 201, created.text
        assert created.json()["plan_id"] == "school:our-feedback-plan@1"
        async with s.db() as db:
            event = (await db.exec(select(Event).where(Event.id == created.json()["id"]))).one()
        assert event.plan.version == 1 and event.plan.id == "our-feedback-plan"
        assert event.plan.steps[1].prompt == "Try your plan this week."

        # Well-formed but not one of the school's plans: a conflict with what it has (saving
        # that plan would let the same request through); not a plan id at all: a 422.
        for unknown, status in (
            ("school:no-such-plan", 409),
            ("school:our-feedback-plan@9", 409),
            ("nonsense", 422),
        ):
            refused = await s.api.post(
                "/v1/events", json=event_body(unknown, f"ref-{unknown}"), headers=s.auth()
            )
            assert refused.status_code == status, refused.text
            assert refused.json()["fields"][0]["field"] == "plan_id"
            missing = await s.api.get(f"/v1/plans/{unknown}", headers=s.auth())
            assert missing.status_code == 404


async def test_a_bad_plan_is_refused_with_its_reasons_and_nothing_is_saved(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        no_level = our_plan()
        del no_level["steps"][2]["guskey_level"]
        refused = await s.api.post("/v1/plans", json=no_level, headers=s.auth())
        assert refused.status_code == 422
        assert refused.json()["fields"][0]["field"] == "steps.2"
        assert "needs its guskey_level" in refused.json()["detail"]

        same_id = our_plan()
        same_id["steps"][1]["id"] = "action-plan"
        refused = await s.api.post("/v1/plans", json=same_id, headers=s.auth())
        assert refused.status_code == 422
        assert "step ids must be unique; repeated: action-plan" in refused.json()["detail"]

        not_ours = await s.api.post("/v1/plans", json=our_plan(key="never-saved"), headers=s.auth())
        assert not_ours.status_code == 409 and not_ours.json()["fields"][0]["field"] == "key"

        # Saving a plan changes what the school can start: a read-only key may not.
        reader = await admin.create_key(s.db, s.school_id, "reports", ("read",))
        read_only = await s.api.post("/v1/plans", json=our_plan(), headers=s.auth(reader))
        assert read_only.status_code == 403
        assert (await s.api.get("/v1/plans", headers=s.auth(reader))).status_code == 200

        listed = (await s.api.get("/v1/plans", headers=s.auth())).json()["items"]
        assert all(p["builtin"] for p in listed)


async def test_steps_sent_out_of_order_are_saved_in_order_of_their_days(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        out_of_order = our_plan()
        out_of_order["steps"][1]["offset_days"] = 40
        saved = await s.api.post("/v1/plans", json=out_of_order, headers=s.auth())
        assert saved.status_code == 201, saved.text
        steps = saved.json()["plan"]["steps"]
        assert [(x["id"], x["offset_days"]) for x in steps] == [
            ("action-plan", 0),
            ("impact-1-month", 30),
            ("cue-week-1", 40),
        ]


async def test_another_schools_plans_are_unknown(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        ours = (await s.api.post("/v1/plans", json=our_plan(), headers=s.auth())).json()
        other_id, other_key = await s.new_school()
        theirs = (await s.api.get("/v1/plans", headers=s.auth(other_key))).json()["items"]
        assert all(p["builtin"] for p in theirs)
        looked = await s.api.get(f"/v1/plans/{ours['id']}", headers=s.auth(other_key))
        assert looked.status_code == 404
        started = await s.api.post(
            "/v1/events", json=event_body(ours["id"]), headers=s.auth(other_key)
        )
        assert started.status_code == 409 and "no such plan" in started.json()["detail"]
        # A version of our plan cannot be saved from there either.
        version = await s.api.post(
            "/v1/plans", json=our_plan(key="our-feedback-plan"), headers=s.auth(other_key)
        )
        assert version.status_code == 409

        await sign_in_as_lead(s, other_id)
        assert (await s.api.get(f"/dashboard/plans/{ours['id']}")).status_code == 404
        assert (await s.api.get(f"/dashboard/plans/{ours['id']}/edit")).status_code == 404
        assert "Our feedback plan" not in (await s.api.get("/dashboard/plans")).text


async def test_a_running_follow_through_keeps_the_version_it_started_with(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=10)
    async with ts_stack(year.calendar, email_budget_per_week=10) as s:
        # The school's words go into the email as text, never as markup.
        v1 = our_plan("<b>x</b> Version one's nudge.")
        saved = await s.api.post("/v1/plans", json=v1, headers=s.auth())
        assert saved.status_code == 201, saved.text
        started = await trigger(s, "school:our-feedback-plan", monday)
        assert started["plan_id"] == "school:our-feedback-plan@1"  # the latest, by number
        walk = Walker(time_env, s, TEACHER)
        await walk.days(
            lead + 1, lambda item: PLAN_FIELDS if item.step_id == "action-plan" else None
        )
        assert [r.step_id for r in walk.received] == ["action-plan"]

        v2 = our_plan("Version two's nudge.", key="our-feedback-plan")
        assert (await s.api.post("/v1/plans", json=v2, headers=s.auth())).status_code == 201
        await walk.days(8)
        [cue] = walk.sends("cue-week-1")
        assert "Version one's nudge." in text_of(cue.message)
        assert "Version two" not in text_of(cue.message)
        html = html_of(cue.message)
        assert "&lt;b&gt;x&lt;/b&gt; Version one" in html and "<b>x</b>" not in html


async def _editor(s: Stack, plan_id: str) -> dict[str, str]:
    page = await s.api.get(f"/dashboard/plans/{plan_id}/edit")
    assert page.status_code == 200, page.text
    return form_fields(page.text, "/dashboard/plans/edit")


def _error_next_to(html: str, field: str) -> str:
    """The message shown beside ``field``, which points at it."""
    found = re.search(
        rf'<p class="field-error" id="{field}-error"><strong>([^<]+)</strong></p>\s*'
        rf'<(?:input|select|textarea) id="{field}"[^>]*aria-describedby="{field}-error"',
        html,
    )
    assert found, f"no message next to {field}"
    return found.group(1)


async def test_a_cpd_lead_edits_a_plan_and_saves_it_in_versions(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        home = (await s.api.get("/dashboard")).text
        assert 'href="/dashboard/plans"' in home
        listed = (await s.api.get("/dashboard/plans")).text
        assert "Whole-school INSET: 12 months" in listed and "None yet" in listed
        shown = (await s.api.get("/dashboard/plans/whole-school-inset")).text
        assert "<h2>Week 2 check-in</h2>" in shown
        assert "2 weeks after the event, at 08:00" in shown
        assert "Level 4: use of new knowledge and skills" in shown
        assert "No answer awaited, so no reminders" in shown  # a cue

        fields = await _editor(s, "whole-school-inset")
        assert fields["name"] == "Whole-school INSET: 12 months (our version)"
        count = int(fields["count"])
        fields["steps-2-title"] = "<b>x</b>"
        added = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "add"})
        assert added.status_code == 200
        fields = form_fields(added.text, "/dashboard/plans/edit")
        assert fields["count"] == str(count + 1) and fields["steps-2-title"] == "<b>x</b>"
        removed = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "remove-0"})
        fields = form_fields(removed.text, "/dashboard/plans/edit")
        assert fields["count"] == str(count) and fields["steps-0-id"] == "cue-week-1"
        fields[f"steps-{count - 1}-kind"] = "reflection"  # the added step
        fields[f"steps-{count - 1}-offset_days"] = "400"

        saved = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "save"})
        assert saved.status_code == 303, saved.text
        new_plan = "/dashboard/plans/school:whole-school-inset-12-months-our-version@1"
        assert saved.headers["location"] == f"{new_plan}?saved=1"
        plan_id = saved.headers["location"].removeprefix("/dashboard/plans/").split("?")[0]
        page = (await s.api.get(saved.headers["location"])).text
        assert "Saved as version 1" in page
        assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
        assert "400 days after the event" in page

        # Two mistakes: each message beside its field, a summary at the top, nothing saved.
        fields = await _editor(s, plan_id)
        assert fields["save_as"] == "version"
        fields["steps-2-offset_days"] = "1"  # the week 3 cue, before week 2's check-in
        fields["steps-3-guskey_level"] = ""  # an impact check
        fields["name"] = "Our INSET plan"
        bad = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "save"})
        assert bad.status_code == 422
        assert "Due before the step above it" in _error_next_to(bad.text, "steps-2-offset_days")
        assert "needs its guskey_level" in _error_next_to(bad.text, "steps-3-guskey_level")
        summary = re.search(r'<div class="bad" role="alert">(.*?)</div>', bad.text, re.S)
        assert summary and 'href="#steps-2-offset_days"' in summary.group(1)
        assert form_fields(bad.text, "/dashboard/plans/edit")["name"] == "Our INSET plan"
        listed_api = (await s.api.get("/v1/plans", headers=s.auth())).json()["items"]
        assert [p["version"] for p in listed_api if not p["builtin"]] == [1]

        fields["steps-2-offset_days"] = "21"
        fields["steps-3-guskey_level"] = "4"
        unnamed = await s.api.post(
            "/dashboard/plans/edit", data={**fields, "name": "   ", "action": "save"}
        )
        assert unnamed.status_code == 422
        assert _error_next_to(unnamed.text, "name") == "name must not be blank"
        version = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "save"})
        assert version.status_code == 303
        version_2 = plan_id.removesuffix("@1") + "@2"
        assert version.headers["location"] == f"/dashboard/plans/{version_2}?saved=1"
        page = (await s.api.get(version.headers["location"])).text
        assert "<h1>Our INSET plan</h1>" in page and 'href="/dashboard/plans/' + plan_id in page

        # Starting again from version 1 saves the next version of all: version 3.
        from_first = (await s.api.get(f"/dashboard/plans/{plan_id}/edit")).text
        assert "Version 3 of Whole-school INSET: 12 months (our version)" in from_first

        # The form must come from this dashboard: without its token nothing is saved.
        fields.pop("csrf")
        forged = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "save"})
        assert forged.status_code == 403
        listed_api = (await s.api.get("/v1/plans", headers=s.auth())).json()["items"]
        assert [p["version"] for p in listed_api if not p["builtin"]] == [2]


async def test_only_a_cpd_lead_sees_the_plans(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "head@hillside.example", "leader", school_id=s.school_id)
        await sign_in(s, "head@hillside.example")
        assert 'href="/dashboard/plans"' not in (await s.api.get("/dashboard")).text
        for path in ("/dashboard/plans", "/dashboard/plans/whole-school-inset"):
            assert (await s.api.get(path)).status_code == 404
        fields = {"name": "Sneaky", "count": "0", "action": "save"}
        assert (await post_form(s, "/dashboard/plans/edit", fields)).status_code == 404
        await sign_out(s)
        assert (await s.api.get("/dashboard/plans")).status_code == 303


async def _signed_in_page(s: Stack, chromium: Browser, port: int) -> Page:
    """A CPD lead's browser at phone width, signed in by the emailed link."""
    await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
    page = await chromium.new_page(viewport={"width": 320, "height": 800})
    await page.goto(f"http://127.0.0.1:{port}/dashboard")
    await page.get_by_label("Your school email").fill("head@hillside.example")
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await page.get_by_text("we have emailed it a link").wait_for()
    [mail] = await s.smtp.inbox.wait_for(1, "head@hillside.example")
    await page.goto(next(x for x in links_of(mail) if "/dashboard/auth/" in x))
    await page.get_by_role("button", name="Sign in to the dashboard").click()
    await page.get_by_role("link", name="Plans").wait_for()
    return page


async def test_a_cpd_lead_edits_a_plan_on_a_phone_without_javascript(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    async with (
        dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s,
        served(s.app, port),
        browser() as chromium,
    ):
        page = await _signed_in_page(s, chromium, port)
        refused = refusals(page)
        await page.get_by_role("link", name="Plans").click()
        await page.get_by_role("link", name="External course: share, apply, review").click()
        await page.get_by_role("link", name="Start from this plan").click()
        steps = page.locator("fieldset.step")
        count = await steps.count()
        await page.get_by_label("Plan name").fill("Our course follow-up")
        await page.get_by_role("button", name="Add a step").click()
        assert await steps.count() == count + 1
        assert await page.get_by_label("Plan name").input_value() == "Our course follow-up"
        await page.get_by_role("button", name=f"Remove step {count + 1}").click()
        assert await steps.count() == count

        # An impact check without its level: the message is beside the field, and the
        # summary at the top is announced.
        kinds = [await page.locator(f"#steps-{n}-kind").input_value() for n in range(count)]
        impact = kinds.index("impact_check")
        await page.locator(f"#steps-{impact}-guskey_level").select_option("")
        await page.get_by_role("button", name="Save plan").first.click()
        alert = page.get_by_role("alert")
        await alert.wait_for()
        assert "Nothing was saved: 1 problem to fix" in await alert.inner_text()
        field = page.locator(f"#steps-{impact}-guskey_level")
        assert await field.get_attribute("aria-invalid") == "true"
        described = await field.get_attribute("aria-describedby")
        assert "needs its guskey_level" in await page.locator(f"#{described}").inner_text()
        await page.screenshot(path=artifact("plan-editor-errors.png"), full_page=True)

        await field.select_option("4")
        await page.get_by_role("button", name="Save plan").last.click()
        await page.get_by_text("Saved as version 1").wait_for()
        assert await page.get_by_role("heading", level=1).inner_text() == ("Our course follow-up")
        await page.screenshot(path=artifact("plan-saved.png"), full_page=True)
        assert refused == []


async def test_the_plan_pages_are_accessible(dev_stack: StackFactory) -> None:
    # axe-core through Playwright comes with the accessibility checks (tests/support/a11y.py).
    a11y = pytest.importorskip("tests.support.a11y")
    port = free_port()
    async with (
        dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s,
        served(s.app, port),
        browser() as chromium,
    ):
        page = await _signed_in_page(s, chromium, port)
        await page.goto(f"http://127.0.0.1:{port}/dashboard/plans")
        await a11y.assert_accessible(page, "plans")
        await page.get_by_role("link", name="Whole-school INSET: 12 months").click()
        await a11y.assert_accessible(page, "plan")
        await page.get_by_role("link", name="Start from this plan").click()
        await a11y.assert_accessible(page, "plan-editor")
        await page.locator("#steps-4-guskey_level").select_option("")
        await page.locator("#steps-2-offset_days").fill("1")
        await page.get_by_role("button", name="Save plan").first.click()
        await page.get_by_role("alert").wait_for()
        await a11y.assert_accessible(page, "plan-editor-errors")


async def test_a_cpd_lead_adds_a_peer_observation_to_a_plan(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        editor = (await s.api.get("/dashboard/plans/whole-school-inset/edit")).text
        assert ">Peer observation (done / planned / not yet)</option>" in editor
        fields = await _editor(s, "whole-school-inset")
        added = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "add"})
        fields = form_fields(added.text, "/dashboard/plans/edit")
        last = int(fields["count"]) - 1
        fields[f"steps-{last}-kind"] = "peer_observation"
        fields[f"steps-{last}-offset_days"] = "400"
        saved = await s.api.post("/dashboard/plans/edit", data={**fields, "action": "save"})
        assert saved.status_code == 303, saved.text
        page = (await s.api.get(saved.headers["location"])).text
        assert "<h2>Peer observation, week 57</h2>" in page
        plan_id = saved.headers["location"].removeprefix("/dashboard/plans/").split("?")[0]
        plan = (await s.api.get(f"/v1/plans/{plan_id}", headers=s.auth())).json()
        assert plan["plan"]["steps"][-1]["kind"] == "peer_observation"
