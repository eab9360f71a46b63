"""The preview's dates are the dates the workflow then sends on, over a whole school year."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from cpd.calendar import DateRange
from tests.support.calendars import LONDON
from tests.support.stack import StackFactory
from tests.support.walk import Walker
from tests.support.year import TEACHER, school_year_now


def minute(at: str) -> datetime:
    return datetime.fromisoformat(at).astimezone(LONDON).replace(second=0, microsecond=0)


async def test_every_email_of_a_year_goes_when_the_preview_said(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, _ = await school_year_now(time_env)
    # A real school's year: terms, half-terms, an INSET day, England's bank holidays (the
    # nation's, added by the app), and a closure of its own on the day of the week-3 cue.
    closure = DateRange(
        name="Boiler repair", start=monday + timedelta(days=21), end=monday + timedelta(days=22)
    )
    calendar = year.calendar.model_copy(
        update={"nation": "england", "closures": [*year.calendar.closures, closure]}
    )
    async with ts_stack(calendar) as s:
        body = {
            "reference": "year-preview",
            "title": "Retrieval practice",
            "event_date": monday.isoformat(),
            "plan_id": "whole-school-inset",
            "participants": [{"name": "Ada Lovelace", "email": TEACHER}],
        }
        preview = await s.api.post("/v1/events/preview", json=body, headers=s.auth())
        assert preview.status_code == 200, preview.text
        steps = preview.json()["steps"]
        assert s.smtp.inbox.to(TEACHER) == []  # a preview sends nothing
        expected = sorted(
            [(minute(st["send_at"]), st["step_id"], "initial") for st in steps if st["send_at"]]
            + [(minute(r), st["step_id"], "reminder") for st in steps for r in st["reminders"]]
        )
        assert len([e for e in expected if e[2] == "initial"]) >= 10
        assert any(e[2] == "reminder" for e in expected)

        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        walker = Walker(time_env, s, TEACHER)
        # A teacher who never answers, until a day after the last email the preview shows.
        until = expected[-1][0] + timedelta(days=1)
        await time_env.sleep(until - await time_env.get_current_time())
        await walker.collect()

        arrived = sorted((r.at, r.step_id, r.purpose) for r in walker.received)
        assert arrived == expected
        # The calendar moved or skipped steps (the week-3 cue, at least).
        moved = [
            st["step_id"]
            for st in steps
            if st["status"] != "send" or st["local_date"] != st["planned_date"]
        ]
        assert "cue-week-3" in moved and "action-plan" not in moved  # an open Monday
