"""A school imports its published calendar: a preview first, saved only when asked."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path

from activities.smtp import SmtpSender
from cpd.calendar import SchoolCalendar
from services import admin
from services.next_year import NextYearDates
from tests.support.calendars import LONDON
from tests.support.events import event
from tests.support.inbox import text_of
from tests.support.signin import post_form, sign_in, sign_in_as_lead
from tests.support.stack import StackFactory

CALENDARS = Path(__file__).parents[1] / "cpd" / "calendars"


async def test_an_ics_is_previewed_then_saved_and_a_bad_one_changes_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        before = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        ics = (CALENDARS / "hillside-2026-27.ics").read_bytes()
        files = {"file": ("term-dates.ics", ics, "text/calendar")}

        preview = await s.api.post("/v1/school/calendar.ics", files=files, headers=s.auth())
        assert preview.status_code == 200, preview.text
        assert preview.json()["applied"] is False
        assert [t["name"] for t in preview.json()["terms"]] == [
            "Autumn Term",
            "Spring Term",
            "Summer Term",
        ]
        assert preview.json()["not_understood"] == ["Year 11 Parents Evening (2026-11-12)"]
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == before

        saved = await s.api.post(
            "/v1/school/calendar.ics", files=files, data={"apply": "true"}, headers=s.auth()
        )
        assert saved.status_code == 200 and saved.json()["applied"] is True
        after = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert [t["start"] for t in after["terms"]] == ["2026-09-02", "2027-01-05", "2027-04-12"]
        assert after["timezone"] == before["timezone"]  # only the dates change

        bad = {"file": ("oops.ics", b"BEGIN:VCALENDAR\r\nnot really", "text/calendar")}
        refused = await s.api.post(
            "/v1/school/calendar.ics", files=bad, data={"apply": "true"}, headers=s.auth()
        )
        assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "file"
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == after


async def test_a_cpd_lead_imports_the_calendar_from_the_dashboard(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        school_id, key = await s.new_school(SchoolCalendar())  # a new school: nothing entered
        await admin.add_leader(s.db, "head@meadow.example", "leader", school_id=school_id)
        await sign_in_as_lead(s, school_id)
        home = (await s.api.get("/dashboard")).text
        assert "No term dates are entered" in home
        page = (await s.api.get("/dashboard/calendar")).text
        assert "Estimated school holidays" in page and "Estimated: Christmas" in page
        assert "Bank holidays (England)" in page and "Christmas Day" in page

        ics = (CALENDARS / "hillside-2026-27.ics").read_bytes()
        files = {"file": ("term-dates.ics", ics, "text/calendar")}
        preview = await post_form(s, "/dashboard/calendar/preview", files=files)
        assert preview.status_code == 200
        assert "Nothing is saved yet" in preview.text and "Summer Term" in preview.text
        assert "Year 11 Parents Evening" in preview.text  # shown as left out
        unchanged = (await s.api.get("/v1/school/calendar", headers=s.auth(key))).json()
        assert unchanged["terms"] == []

        hidden = re.search(r'name="calendar" value="([^"]+)"', preview.text)
        assert hidden is not None
        saved = await post_form(
            s, "/dashboard/calendar/apply", {"calendar": html.unescape(hidden.group(1))}
        )
        assert saved.status_code == 303
        after = await s.api.get(saved.headers["location"])
        assert "Saved. Waiting emails move to fit these dates now." in after.text
        # The school's own dates now, and estimates only after its last entered term.
        estimated = re.findall(r"Estimated: [^<]*", after.text)
        assert estimated and all("2026" not in x and "Jan 2027" not in x for x in estimated)
        terms = (await s.api.get("/v1/school/calendar", headers=s.auth(key))).json()["terms"]
        assert [t["start"] for t in terms] == ["2026-09-02", "2027-01-05", "2027-04-12"]

        bad = {"file": ("oops.ics", b"BEGIN:VCALENDAR\r\nnot really", "text/calendar")}
        refused = await post_form(s, "/dashboard/calendar/preview", files=bad)
        assert refused.status_code == 422 and "Nothing was saved" in refused.text
        forged = await post_form(s, "/dashboard/calendar/apply", {"calendar": "{"})
        assert forged.status_code == 422
        assert (await s.api.get("/v1/school/calendar", headers=s.auth(key))).json()["terms"] == (
            terms
        )


async def test_only_the_cpd_lead_sees_the_calendar_page(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        assert (await s.api.get("/dashboard/calendar")).status_code == 303  # sign in first
        await admin.add_leader(s.db, "gov@hillside.example", "leader", school_id=s.school_id)
        await sign_in(s, "gov@hillside.example")
        assert (await s.api.get("/dashboard/calendar")).status_code == 404
        refused = await post_form(s, "/dashboard/calendar/apply", {"calendar": "{}"})
        assert refused.status_code == 404


async def test_the_cpd_lead_is_asked_for_next_years_dates_before_the_last_term_ends(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        school_id, key = await s.new_school(SchoolCalendar())  # England, 07:30-17:30
        ics = (CALENDARS / "hillside-2026-27.ics").read_bytes()
        files = {"file": ("term-dates.ics", ics, "text/calendar")}
        calendar = SchoolCalendar.model_validate(
            (
                await s.api.post(
                    "/v1/school/calendar.ics",
                    files=files,
                    data={"apply": "true"},
                    headers=s.auth(key),
                )
            ).json()["calendar"]
        )
        assert calendar.nation == "england"
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=school_id)
        asker = NextYearDates(s.db, SmtpSender(s.settings), s.settings)
        at = datetime(2027, 6, 8, 10, 0, tzinfo=LONDON)  # a Tuesday in the summer term
        assert await asker.ask_due(at) == 0  # nothing running: nobody to re-plan
        created = await s.api.post("/v1/events", json=event(), headers=s.auth(key))
        assert created.status_code == 201
        assert await asker.ask_due(datetime(2027, 4, 20, 10, 0, tzinfo=LONDON)) == 0  # too soon
        assert await asker.ask_due(datetime(2027, 6, 5, 10, 0, tzinfo=LONDON)) == 0  # Saturday
        assert await asker.ask_due(at) == 1
        assert await asker.ask_due(at + timedelta(days=1)) == 0  # once for these dates
        [mail] = [
            m for m in s.smtp.inbox.to("lead@") if "next year's term dates" in str(m["Subject"])
        ]
        words = text_of(mail)
        assert "end on Thursday 22 July 2027" in words
        assert "usual school holidays for England as an estimate" in words
        assert "http://testserver/dashboard/calendar" in words
