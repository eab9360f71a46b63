"""A calendar change reaches follow-throughs that are asleep: they re-plan at once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from cpd.models import Participant
from tests.support.calendars import LONDON
from tests.support.inbox import sent_at
from tests.support.stack import Stack, StackFactory
from tests.support.year import school_year_now

PLAN = {
    "id": "plan-then-cue",
    "name": "A plan, then a cue a week later",
    "steps": [
        {"id": "plan", "kind": "action_plan", "offset_days": 0, "answer_window_working_days": 0},
        {"id": "cue", "kind": "cue", "offset_days": 7, "reminders": {"max_reminders": 0}},
    ],
}


async def signalled(env: WorkflowEnvironment, s: Stack, timeout: float = 30) -> None:
    """Hold the test server's clock until the participant has the calendar signal: the
    event's fan-out delivers it, and skipped time must not overtake it."""
    async with s.db() as session:
        [person] = (await session.exec(select(Participant))).all()
    handle = s.client.get_workflow_handle(person.workflow_id)
    deadline = time.monotonic() + timeout
    with env.auto_time_skipping_disabled():
        while time.monotonic() < deadline:
            history = await handle.fetch_history()
            if any(
                e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
                and e.workflow_execution_signaled_event_attributes.signal_name == "calendar_changed"
                for e in history.events
            ):
                return
            await asyncio.sleep(0.2)
    raise AssertionError("the calendar signal did not arrive")


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
