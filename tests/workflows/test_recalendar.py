"""A calendar change reaches follow-throughs that are asleep: they re-plan at once."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.support.calendars import LONDON
from tests.support.inbox import sent_at
from tests.support.stack import StackFactory
from tests.support.year import school_year_now, signalled

PLAN = {
    "id": "plan-then-cue",
    "name": "A plan, then a cue a week later",
    "steps": [
        {"id": "plan", "kind": "action_plan", "offset_days": 0, "answer_window_working_days": 0},
        {"id": "cue", "kind": "cue", "offset_days": 7, "reminders": {"max_reminders": 0}},
    ],
}


async def test_a_snow_day_called_off_brings_a_step_back_to_its_day(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=20)
    cue_day = monday + timedelta(days=7)
    snow = year.calendar.closures[0].model_validate(
        {"name": "Snow day", "start": cue_day.isoformat(), "end": cue_day.isoformat()}
    )
    snowed = year.calendar.model_copy(update={"closures": [*year.calendar.closures, snow]})
    async with ts_stack(snowed) as s:
        body = {
            "reference": "snow",
            "title": "Retrieval practice",
            "event_date": monday.isoformat(),
            "plan": PLAN,
            "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
        }
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        await time_env.sleep(timedelta(days=lead + 1))
        assert len(s.smtp.inbox.messages) == 1  # the plan; the cue now waits for the day after

        # The snow day is called off: the cue goes back to its own day.
        reopened = year.calendar.model_dump(mode="json")
        put = await s.api.put("/v1/school/calendar", json=reopened, headers=s.auth())
        assert put.status_code == 200
        await signalled(time_env, s)
        await time_env.sleep(timedelta(days=9))
        [_, cue] = s.smtp.inbox.messages
        assert sent_at(cue).astimezone(LONDON).date() == cue_day
