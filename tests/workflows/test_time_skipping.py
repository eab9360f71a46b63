"""A month of follow-through on Temporal's time-skipping server."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from tests.support.inbox import links_of, sent_at
from tests.support.stack import StackFactory

LONDON = ZoneInfo("Europe/London")


def next_monday_after(day: date, at_least_days: int = 2) -> date:
    day = day + timedelta(days=at_least_days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


async def test_a_month_of_workflow_time_passes_in_moments(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    # Weekdays and the send window, but no holidays: the server's clock may be anywhere
    # in the year by now (other tests skip it on), and this month must not meet a half-term.
    async with ts_stack(SchoolCalendar(nation=None)) as s:
        start = await time_env.get_current_time()
        # A Monday a few days ahead, so the expected dates do not depend on when this runs.
        monday = next_monday_after(start.astimezone(LONDON).date())
        body = {
            "reference": "month",
            "title": "Retrieval practice",
            "event_date": monday.isoformat(),
            "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
        }
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201

        wall = time.monotonic()
        await time_env.sleep(timedelta(days=monday.toordinal() - start.date().toordinal() + 31))
        wall_seconds = time.monotonic() - wall
        skipped = await time_env.get_current_time() - start

        mails = s.smtp.inbox.messages
        local = [sent_at(m).astimezone(LONDON).replace(tzinfo=None) for m in mails]
        steps = [
            s.signer.verify(links_of(m)[0].split("/a/")[1].split("?")[0], "answer").step_id
            for m in mails
        ]

        def at(days: int, hh: int, mm: int = 0) -> datetime:
            return datetime.combine(monday + timedelta(days=days), datetime.min.time()).replace(
                hour=hh, minute=mm
            )

        # Unanswered: the action plan and the week-2 check-in each get their two
        # reminders (two working days apart) and then close as missed.
        assert list(zip(steps, local, strict=True)) == [
            ("action-plan", at(0, 16)),
            ("action-plan", at(2, 16)),
            ("action-plan", at(4, 16)),
            ("cue-week-1", at(7, 8)),
            ("checkin-week-2", at(14, 8)),
            ("checkin-week-2", at(16, 8)),
            ("checkin-week-2", at(18, 8)),
            ("cue-week-3", at(21, 8)),
            ("impact-1-month", at(30, 8)),
        ]
        assert [str(m["Subject"]).split(" (")[0] for m in mails][:3] == [
            "Your action plan",
            "Reminder: Your action plan",
            "Reminder: Your action plan",
        ]
        # Time skipping is on: over a month of workflow time went by; the wall time
        # is reported in docs/BENCHMARKS.md, not asserted here.
        assert skipped > timedelta(days=31)
        print(f"skipped {skipped} of workflow time in {wall_seconds:.2f}s wall")
