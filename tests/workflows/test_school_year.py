"""A school that typed in no term dates still gets no email in the holidays: its nation's
bank holidays, and the usual school holidays as an estimate."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import DateRange, SchoolCalendar
from tests.support.calendars import LONDON
from tests.support.inbox import sent_at
from tests.support.stack import StackFactory


async def test_no_email_at_christmas_on_bank_holidays_or_in_august_without_term_dates(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    now = (await time_env.get_current_time()).astimezone(LONDON).date()
    december_4 = date(now.year if now < date(now.year, 12, 4) else now.year + 1, 12, 4)
    async with ts_stack() as s:  # the default calendar: England, no term dates entered
        body = {
            "reference": "no-terms",
            "title": "Retrieval practice",
            "event_date": december_4.isoformat(),
            "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
        }
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        # The CPD lead is told the holidays are a guess, and can see the guess.
        assert "estimated school holidays" in created.json()["warnings"][0]
        year = (await s.api.get("/v1/school/year", headers=s.auth())).json()
        assert year["terms_entered"] is False
        assert any(c["name"] == "Estimated: Christmas" for c in year["estimated"])
        assert any("Christmas Day" in c["name"] for c in year["bank_holidays"])
        await time_env.sleep((december_4 - now) + timedelta(days=400))

        days = sorted(sent_at(m).astimezone(LONDON).date() for m in s.smtp.inbox.messages)
        assert len(days) > 20  # a year of steps and reminders went out
        bank = holidays.UnitedKingdom(subdiv="ENG", years=[december_4.year, december_4.year + 1])
        christmas = (date(december_4.year, 12, 23), date(december_4.year + 1, 1, 2))
        assert [d for d in days if christmas[0] <= d <= christmas[1]] == []
        assert [d for d in days if d in bank] == []
        assert [d for d in days if d.month == 8] == []
        assert all(d.weekday() < 5 for d in days)


def impact(step_id: str, offset: int) -> dict[str, object]:
    return {"id": step_id, "kind": "impact_check", "offset_days": offset, "guskey_level": 4}


async def test_after_the_last_entered_term_the_summer_is_kept_and_next_years_dates_followed(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    now = (await time_env.get_current_time()).astimezone(LONDON).date()
    y = now.year if now < date(now.year, 4, 1) else now.year + 1
    this_year = {"name": "Summer term", "start": now.isoformat(), "end": f"{y}-07-22"}
    calendar = SchoolCalendar(terms=[DateRange.model_validate(this_year)])
    plan = {
        "id": "over-the-summer",
        "name": "Over the summer",
        # June 8, in term; August 10, in the summer holiday; September 5, a weekend.
        "steps": [impact("june", 7), impact("august", 70), impact("september", 96)],
    }
    async with ts_stack(calendar) as s:
        body = {
            "reference": "summer",
            "title": "Retrieval practice",
            "event_date": f"{y}-06-01",
            "plan": plan,
            "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
        }
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        assert f"end on {y}-07-22" in created.json()["warnings"][0]
        # Next year's dates arrive (by .ics or by hand): the autumn term starts on the
        # second Monday of September, later than the estimate.
        back = date(y, 9, 8) + timedelta(days=(7 - date(y, 9, 8).weekday()) % 7)
        autumn = {"name": "Autumn term", "start": back.isoformat(), "end": f"{y}-12-18"}
        with_next = calendar.model_dump(mode="json")
        with_next["terms"].append(autumn)
        put = await s.api.put("/v1/school/calendar", json=with_next, headers=s.auth())
        assert put.status_code == 200
        await time_env.sleep(timedelta(days=(date(y, 9, 20) - now).days))

        days = sorted(
            sent_at(m).astimezone(LONDON).date()
            for m in s.smtp.inbox.messages
            if not str(m["Subject"]).startswith("Reminder")
        )
        # June 8 in term, or the Monday after when it falls at a weekend (the time-skipping
        # clock runs on across tests, so the year is not known in advance).
        june = date(y, 6, 8)
        june += timedelta(days=7 - june.weekday() if june.weekday() >= 5 else 0)
        assert days[0] == june
        assert [d for d in days if date(y, 7, 23) <= d < back] == []
        # The two steps due in the holiday follow the school's own first day back, a day apart.
        assert days[1:] == [back, back + timedelta(days=1)]
