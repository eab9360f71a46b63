"""A school that typed in no term dates still gets no email in the holidays: its nation's
bank holidays, and the usual school holidays as an estimate."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from temporalio.testing import WorkflowEnvironment

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
