"""The whole school journey in a real browser, as a new CPD lead on their first day.

They sign in through the school's own OpenID Connect provider (a real one, on loopback),
set up the calendar from the school's .ics file, upload a roster with two bad rows,
preview, confirm, and see the first emails arrive on the SMTP server; then they pause
one teacher, mark a teacher's request for help supported and download the spreadsheet.
Every page on the way is checked with axe-core at 320 px and 1280 px (zero violations)
and screenshotted into test-artifacts/.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from playwright.async_api import Page
from sqlmodel import select

from cpd.models import HelpRequest, Participant
from services import admin
from tests.support.a11y import accessibility_problems
from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import days_ago
from tests.support.inbox import free_port, links_of
from tests.support.oidc import oidc_provider, use_provider
from tests.support.stack import Stack, StackFactory

LEAD = "new.lead@hillside.example"
GOOD = {
    "sian.evans@hillside.example": "Siân Evans",
    "zoe.brown@hillside.example": "Zoë Brown",
    "tom.jones@hillside.example": "Tom Jones",
}
# Two bad rows: an address with no domain, and a row with no address at all.
ROSTER = (
    "\ufeffForename,Surname,Work Email,Department\r\n"
    "Siân,Evans,sian.evans@hillside.example,Maths\r\n"
    "Zoë,Brown,zoe.brown@hillside.example,English\r\n"
    "Ann,Other,ann.other@,Science\r\n"
    "Tom,Jones,tom.jones@hillside.example,PE\r\n"
    "Bea,Nomail,,Art\r\n"
)
# The school's own plan: a check-in on the day (so the first emails go at once, whatever
# the hour this runs), then an impact check at three months.
PLAN = {
    "name": "Feedback: check-in then impact",
    "steps": [
        {
            "id": "checkin-day-1",
            "kind": "practice_checkin",
            "title": "First check-in",
            "offset_days": 0,
            "send_time": "00:00",
        },
        {"id": "impact-3-months", "kind": "impact_check", "offset_days": 90, "guskey_level": 4},
    ],
}


def school_ics(today: date) -> bytes:
    """The school's published calendar: this term and the next, and an INSET day."""

    def day(d: date) -> str:
        return d.strftime("%Y%m%d")

    events = [
        ("Spring Term", today - timedelta(30), today + timedelta(120)),
        ("Summer Term", today + timedelta(135), today + timedelta(230)),
        ("INSET Day", today + timedelta(20), today + timedelta(21)),
    ]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Hillside Academy//Calendar//EN"]
    for n, (summary, start, end) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{n}@hillside.example",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;VALUE=DATE:{day(start)}",
            f"DTEND;VALUE=DATE:{day(end)}",
            f"SUMMARY:{summary}",
            "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


class Walk:
    """Each page visited: screenshotted, and its accessibility problems kept."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.visited: list[str] = []

    async def check(self, page: Page, name: str) -> None:
        self.visited.append(name)
        await page.wait_for_load_state()  # a click may still be loading the next page
        await page.screenshot(path=artifact(f"journey-{len(self.visited):02}-{name}.png"))
        self.problems += await accessibility_problems(page, f"journey-{name}")


async def test_a_new_cpd_lead_runs_the_whole_journey_in_a_browser(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with oidc_provider() as idp:
        async with dev_stack(public_base_url=base) as s, served(s.app, port):
            await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
            await use_provider(s, idp)
            idp.user("lead-1", email=LEAD, email_verified=True)
            saved = await s.api.post("/v1/plans", json=PLAN, headers=s.auth())
            assert saved.status_code == 201, saved.text
            plan_id = saved.json()["id"]
            today = date.fromisoformat(days_ago(0))
            roster = artifact("journey-roster.csv")
            roster.write_text(ROSTER, encoding="utf-8")
            ics = artifact("journey-hillside.ics")
            ics.write_bytes(school_ics(today))

            walk = Walk()
            async with browser() as chromium:
                context = await chromium.new_context(base_url=base)
                page = await context.new_page()
                refused = refusals(page)

                # 1. Sign in through the school's own provider.
                await page.goto("/dashboard")
                await walk.check(page, "login")
                await page.get_by_label("Your school email").fill(LEAD)
                await page.get_by_role("button", name="Sign in with my school account").click()
                await walk.check(page, "login-provider")
                await page.get_by_role("link", name="Sign in with your school account").click()
                await page.locator('input[name="sub"]').fill("lead-1")  # the provider's page
                await page.get_by_role("button", name="Authorize").click()
                await page.get_by_role("heading", name="Hillside Academy: CPD events").wait_for()
                await walk.check(page, "home")

                # 2. The calendar from the school's .ics: a preview, then saved.
                await page.get_by_role("link", name="Calendar").first.click()
                await walk.check(page, "calendar")
                await page.get_by_label("Your school's calendar file").set_input_files(ics)
                await page.get_by_role("button", name="Preview", exact=True).click()
                await page.get_by_role("heading", name="What we understood from").wait_for()
                await walk.check(page, "calendar-preview")
                await page.get_by_role("button", name="Save these dates").click()
                await page.get_by_text("Saved.").wait_for()
                await walk.check(page, "calendar-saved")
                entered = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
                assert [t["start"] for t in entered["terms"]] == [
                    (today - timedelta(30)).isoformat(),
                    (today + timedelta(135)).isoformat(),
                ]
                assert [c["start"] for c in entered["closures"]] == [
                    (today + timedelta(20)).isoformat()
                ]

                # 3. A roster with two bad rows: each error shown, nothing started.
                await page.get_by_role("link", name="New follow-through").first.click()
                await walk.check(page, "new")
                await page.get_by_label("Plan").select_option(plan_id)
                await page.get_by_label("Title of the CPD").fill("Feedback that moves learning")
                await page.get_by_label("Date of the CPD").fill(today.isoformat())
                await page.get_by_label("Or upload your MIS staff export").set_input_files(roster)
                await page.get_by_role("button", name="Preview the emails and dates").click()
                await page.get_by_role("heading", name="Preview: Feedback").wait_for()
                await walk.check(page, "preview")
                shown = await page.locator("main").inner_text()
                assert "First check-in" in shown
                assert shown.count("Error:") == 2, shown
                assert await _events(s) == []
                assert not any(s.smtp.inbox.to(address) for address in GOOD)

                # 4. Confirm with the good rows: the first emails arrive.
                await page.get_by_role("button", name="Start with the 3 good rows only").click()
                await page.get_by_role("heading", name="Feedback that moves learning").wait_for()
                await walk.check(page, "event")
                for address in GOOD:
                    [mail] = await s.smtp.inbox.wait_for(1, address)
                    # The check-in itself: its one-tap answers are in the email.
                    assert any("choice=tried_twice" in x for x in links_of(mail))
                assert s.smtp.inbox.to("ann.other") == [] and s.smtp.inbox.to("Nomail") == []

                # 5. Pause one teacher.
                await page.get_by_role("link", name="People: pause, remove, add").click()
                await walk.check(page, "people")
                await page.get_by_role("link", name="Zoë Brown").click()
                await walk.check(page, "teacher")
                await page.get_by_role("button", name="Pause Zoë Brown").click()
                await page.get_by_role("button", name="Resume Zoë Brown").wait_for()
                await walk.check(page, "teacher-paused")
                assert await _paused(s) == ["zoe.brown@hillside.example"]

                # 6. Tom asks for help from his email; the lead marks it supported.
                [tom_mail] = s.smtp.inbox.to("tom.jones@")
                need_help = next(x for x in links_of(tom_mail) if "choice=need_help" in x)
                teacher = await chromium.new_page()
                await teacher.goto(need_help)
                await teacher.get_by_role("button", name="Confirm").first.click()
                await teacher.get_by_role("heading", name="Thank you").first.wait_for()
                await teacher.close()
                await page.goto(page.url.split("/people")[0])
                await page.get_by_role("heading", name="Asking for support").wait_for()
                await walk.check(page, "event-support")
                await page.get_by_role("button", name="Supported (clears the flag)").click()
                await page.get_by_role("heading", name="Feedback that moves learning").wait_for()
                await walk.check(page, "event-supported")
                assert await _help_status(s) == ["supported"]

                # 7. The spreadsheet.
                await page.get_by_role("link", name="People: pause, remove, add").click()
                async with page.expect_download() as downloading:
                    await page.get_by_role("link", name="Download the spreadsheet (CSV)").click()
                download = await downloading.value
                exported = artifact("journey-export.csv")
                await download.save_as(exported)
                rows = list(csv.DictReader(io.StringIO(exported.read_text("utf-8-sig"))))
                assert {r.get("email") or r.get("Email") for r in rows} == set(GOOD), rows[:1]
                assert "First check-in" in exported.read_text("utf-8-sig")
                assert refused == []
                await context.close()

            assert walk.problems == [], "\n".join(walk.problems)
            assert len(walk.visited) >= 12


async def _events(s: Stack) -> list[object]:
    return (await s.api.get("/v1/events", headers=s.auth())).json()["items"]


async def _paused(s: Stack) -> list[str]:
    async with s.db() as db:
        found = await db.exec(select(Participant).where(Participant.paused))
        return [p.email for p in found.all()]


async def _help_status(s: Stack) -> list[str]:
    async with s.db() as db:
        found = await db.exec(select(HelpRequest).where(HelpRequest.school_id == s.school_id))
        return [h.status for h in found.all()]
