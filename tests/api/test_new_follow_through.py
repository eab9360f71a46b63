"""A CPD lead starts a follow-through from the dashboard: people in, a preview of every
email and date, then one confirm; and the API's preview, which does nothing."""

from __future__ import annotations

import html
import io
import re

from openpyxl import Workbook
from playwright.async_api import FilePayload
from sqlmodel import select

from cpd.models import Event, Participant
from services import admin
from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import days_ago, event
from tests.support.inbox import free_port, text_of
from tests.support.rosters import SIMS
from tests.support.signin import post_form, sign_in, sign_in_as_lead, sign_in_link
from tests.support.stack import Stack, StackFactory

PASTED = (
    "Ada Lovelace <ada@hillside.example>\nGrace Hopper, grace@hillside.example\nnot an address\n"
)


def form(**extra: object) -> dict[str, object]:
    return {
        "plan_id": "whole-school-inset",
        "title": "Retrieval practice",
        "event_date": days_ago(1),
        **extra,
    }


async def events_of(s: Stack) -> list[Event]:
    async with s.db() as db:
        return list((await db.exec(select(Event))).all())


def hidden(page: str) -> dict[str, str]:
    """The confirm form's fields, as the browser would send them back."""
    confirm = page[page.index('action="/dashboard/new/confirm"') :]
    confirm = confirm[: confirm.index("</form>")]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm)
    return {name: html.unescape(value) for name, value in found}


async def test_a_roster_with_bad_rows_shows_each_and_starts_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        lead = await sign_in_as_lead(s)
        files = {"file": ("staff.csv", SIMS.encode(), "text/csv")}
        page = await post_form(s, "/dashboard/new/preview", form(pasted=PASTED), files=files)
        assert page.status_code == 422, page.text
        text = html.unescape(page.text)
        assert "2 rows need fixing" in text
        # Each bad row, where the lead put it, with the reason.
        assert re.search(
            r"Pasted line 3</td><td>not an address</td><td></td>\s*<td><strong>Error", text
        )
        assert "File row 6" in text and "tom.jones@hillside" in text
        assert "Listed twice: kept once (same email as row 2" in text
        # The people and dates are still shown; the confirm is for the good rows only.
        assert "Start with the 4 good rows only (the 2 with errors are left out)" in text
        assert await events_of(s) == []
        assert [m["To"] for m in s.smtp.inbox.messages] == [lead]  # the sign-in link only


async def test_the_preview_shows_each_email_and_confirming_twice_starts_one_event(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        page = await post_form(s, "/dashboard/new/preview", form(pasted=PASTED.splitlines()[0]))
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        assert "Nothing has been sent and nothing is saved yet" in text
        # Every step, with a date and time (always open here: each at its own hour).
        assert "Action plan" in text and "12-month impact check" in text
        assert re.search(r"Week 1 cue</th>\s*<td>\w{3} \d{1,2} \w{3} \d{4}, 08:00", text)
        assert re.search(r"Action plan</th>\s*<td>As soon as you start it", text)  # due yesterday
        assert "Reminders go only if the teacher has not answered by then." in text
        assert await events_of(s) == []

        fields = hidden(page.text)
        first = await post_form(s, "/dashboard/new/confirm", fields)
        again = await post_form(s, "/dashboard/new/confirm", fields)  # a double click
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        [created] = await events_of(s)
        assert first.headers["location"] == f"/dashboard/events/{created.id}"
        async with s.db() as db:
            [ada] = (await db.exec(select(Participant))).all()
        assert ada.email == "ada@hillside.example"

        # The action plan was due yesterday: it goes now, saying what the preview said.
        [mail] = await s.smtp.inbox.wait_for(1, "ada@hillside.example")
        subject = re.search(r"Action plan</th>.*?<td>([^<]+)</td></tr>", text, re.S)
        assert subject and str(mail["Subject"]) == subject.group(1)
        shown = re.search(r'<pre class="email-text">(.*?)</pre>', text, re.S)
        assert shown and shown.group(1).split("\n")[0] in text_of(mail)


async def test_an_excel_export_and_people_from_an_earlier_event(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        earlier = await s.api.post("/v1/events", json=event(), headers=s.auth())
        assert earlier.status_code == 201
        await sign_in_as_lead(s)
        book = Workbook()
        book.active.append(["Forename", "Surname", "Email"])
        book.active.append(["Katherine", "Johnson", "kj@hillside.example"])
        data = io.BytesIO()
        book.save(data)
        files = {"file": ("staff.xlsx", data.getvalue(), "application/octet-stream")}
        page = await post_form(
            s,
            "/dashboard/new/preview",
            form(everyone=earlier.json()["id"]),
            files=files,
        )
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        assert "File row 2</td><td>Katherine Johnson</td>" in text
        assert "From: Retrieval practice</td>" in text
        assert "Start the follow-through for 2 people" in text


async def test_another_schools_events_and_people_are_refused(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        other, key = await s.new_school()
        theirs = await s.api.post("/v1/events", json=event(), headers=s.auth(key))
        assert theirs.status_code == 201
        async with s.db() as db:
            [person] = (await db.exec(select(Participant))).all()
        await sign_in_as_lead(s)
        new = await s.api.get("/dashboard/new")
        assert theirs.json()["id"] not in new.text and person.email not in new.text
        for field, value in (("everyone", theirs.json()["id"]), ("picked", person.id)):
            refused = await post_form(s, "/dashboard/new/preview", form(**{field: value}))
            assert refused.status_code == 404
            assert person.email not in refused.text
        assert len(await events_of(s)) == 1


async def test_a_leader_without_the_role_gets_404(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "head@hillside.example", "leader", school_id=s.school_id)
        await sign_in(s, "head@hillside.example")
        assert (await s.api.get("/dashboard/new")).status_code == 404
        assert "New follow-through" not in (await s.api.get("/dashboard")).text
        posted = await post_form(s, "/dashboard/new/preview", form(pasted=PASTED))
        assert posted.status_code == 404
        assert await events_of(s) == []


async def test_bad_forms_and_files_say_what_is_wrong_and_change_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        huge = {"file": ("staff.csv", b"Name,Email\n" + b"x" * (5 * 1024 * 1024), "text/csv")}
        page = await post_form(s, "/dashboard/new/preview", form(), files=huge)
        assert page.status_code == 413 and "over 5 MB" in page.text
        for data, said in (
            (b"\x00\x01binary", "No email column"),
            (b"PK\x03\x04not a workbook", "could not be opened"),
        ):
            files = {"file": ("staff.csv", data, "text/csv")}
            page = await post_form(s, "/dashboard/new/preview", form(), files=files)
            assert page.status_code == 422 and said in page.text
            assert 'role="alert"' in page.text
        page = await post_form(
            s, "/dashboard/new/preview", form(title="", event_date="2001-01-01", pasted=PASTED)
        )
        assert page.status_code == 422
        assert "Give the event a title" in page.text and "check the year" in page.text
        assert "Grace Hopper" in page.text  # what was typed is kept
        tampered = await post_form(
            s,
            "/dashboard/new/confirm",
            {"reference": "dashboard-x", "title": "T", "event_date": days_ago(1),
             "plan_id": "whole-school-inset", "people": "not json"},
        )  # fmt: skip
        assert tampered.status_code == 422
        assert await events_of(s) == []
        assert s.smtp.inbox.to("ada@hillside.example") == []


async def test_the_api_preview_writes_and_sends_nothing(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        body = event(event_date=days_ago(1))
        preview = await s.api.post("/v1/events/preview", json=body, headers=s.auth())
        assert preview.status_code == 200, preview.text
        out = preview.json()
        assert out["participants"] == 1 and out["plan_id"] == "whole-school-inset"
        first = out["steps"][0]
        assert first["step_id"] == "action-plan" and first["title"] == "Action plan"
        assert first["kind"] == "action_plan" and first["subject"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*[+-]\d\d:\d\d", first["send_at"])
        assert first["local_date"] == first["send_at"][:10]
        assert first["local_time"] == first["send_at"][11:16]
        assert len(first["reminders"]) == 2  # the plan's reminders, if unanswered
        assert out["decided_later"]
        assert (await s.api.get("/v1/events", headers=s.auth())).json()["items"] == []
        assert s.smtp.inbox.messages == []

        wrong = await s.api.post("/v1/events/preview", json=body, headers=s.auth("cpd_x_y"))
        assert wrong.status_code == 401
        reader = await admin.create_key(s.db, s.school_id, "reports", ["read"])
        refused = await s.api.post("/v1/events/preview", json=body, headers=s.auth(reader))
        assert refused.status_code == 403
        for bad in ({**body, "participants": []}, {**body, "event_date": "2001-01-01"}, {}):
            assert (
                await s.api.post("/v1/events/preview", json=bad, headers=s.auth())
            ).status_code == 422
        assert await events_of(s) == []


async def test_the_api_previews_a_roster_file_with_each_rows_verdict(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        files = {"file": ("staff.csv", SIMS.encode(), "text/csv")}
        data = {"title": "Retrieval practice", "event_date": days_ago(1)}
        preview = await s.api.post(
            "/v1/events/preview.csv", files=files, data=data, headers=s.auth()
        )
        assert preview.status_code == 200, preview.text
        out = preview.json()
        assert out["participants"] == 2  # Siân and Zoë; Tom's address is not valid
        assert out["roster"]["ok"] is False and out["roster"]["errors"] == 1
        assert out["steps"][0]["step_id"] == "action-plan"
        bad = {**data, "event_date": "2001-01-01"}
        refused = await s.api.post(
            "/v1/events/preview.csv", files=files, data=bad, headers=s.auth()
        )
        assert refused.status_code == 422
        assert (await s.api.get("/v1/events", headers=s.auth())).json()["items"] == []
        assert s.smtp.inbox.messages == []


# Every visible form control named by a label, and nothing wider than the screen.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length)).map(el => el.name)"""
WIDER = "() => document.documentElement.scrollWidth - window.innerWidth"


async def test_a_cpd_lead_starts_one_in_a_browser_on_a_phone(dev_stack: StackFactory) -> None:
    port = free_port()
    async with dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s, served(s.app, port):
        lead = await sign_in_as_lead(s)
        link = await sign_in_link(s, lead)
        async with browser() as chromium:
            page = await chromium.new_page(viewport={"width": 320, "height": 720})
            refused = refusals(page)
            await page.goto(link)
            await page.get_by_role("button", name="Sign in to the dashboard").click()
            await page.get_by_role("link", name="New follow-through").first.click()
            await page.get_by_role("heading", name="New follow-through").wait_for()
            assert await page.evaluate(UNLABELLED) == []
            await page.get_by_label("Title of the CPD").fill("Retrieval practice")
            await page.get_by_label("Date of the CPD").fill(days_ago(1))
            await page.get_by_label("Paste names and emails").fill(PASTED)
            await page.get_by_label("Or upload your MIS staff export").set_input_files(
                FilePayload(name="staff.csv", mimeType="text/csv", buffer=SIMS.encode())
            )
            await page.get_by_role("button", name="Preview the emails and dates").click()
            await page.get_by_role("heading", name="Preview: Retrieval practice").wait_for()
            assert "2 rows need fixing" in await page.get_by_role("alert").first.inner_text()
            assert await page.evaluate(UNLABELLED) == []
            assert await page.evaluate(WIDER) <= 0
            await page.screenshot(path=artifact("new-follow-through-preview.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 900})  # and on a desktop
            assert await page.evaluate(WIDER) <= 0
            await page.screenshot(path=artifact("new-follow-through-desktop.png"))
            await page.get_by_role("button", name="Start with the 4 good rows only").click()
            await page.get_by_role("heading", name="Retrieval practice").first.wait_for()
            assert "/dashboard/events/" in page.url
            assert refused == []
        [created] = await events_of(s)
        async with s.db() as db:
            people = (await db.exec(select(Participant))).all()
        assert sorted(p.email for p in people) == [
            "ada@hillside.example",
            "grace@hillside.example",
            "sian.evans@hillside.example",
            "zoe.brown@hillside.example",
        ]
        assert created.title == "Retrieval practice"


async def test_a_schools_own_plan_is_previewed_and_started_with_its_version(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        plan = {
            "name": "Our feedback plan",
            "steps": [
                {"id": "action-plan", "kind": "action_plan", "offset_days": 0},
                {"id": "nudge", "kind": "cue", "title": "First nudge", "offset_days": 7,
                 "answer_window_working_days": 0, "reminders": {"max_reminders": 0}},
            ],
        }  # fmt: skip
        saved = await s.api.post("/v1/plans", json=plan, headers=s.auth())
        assert saved.status_code == 201, saved.text
        plan_id = saved.json()["id"]
        body = event(plan_id=plan_id, event_date=days_ago(1))
        api = (await s.api.post("/v1/events/preview", json=body, headers=s.auth())).json()
        assert api["plan_id"] == plan_id
        assert [st["title"] for st in api["steps"]] == ["Action plan", "First nudge"]

        await sign_in_as_lead(s)
        assert "Our feedback plan (your school" in (await s.api.get("/dashboard/new")).text
        page = await post_form(
            s, "/dashboard/new/preview", form(plan_id=plan_id, pasted=PASTED.splitlines()[0])
        )
        assert page.status_code == 200, page.text
        assert "First nudge</th>" in page.text
        started = await post_form(s, "/dashboard/new/confirm", hidden(page.text))
        assert started.status_code == 303
        [created] = await events_of(s)
        assert created.plan_id == plan_id
