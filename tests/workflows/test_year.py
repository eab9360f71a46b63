"""A year of follow-through per built-in plan, on the time-skipping server.

Every email is checked against an independent oracle (tests/support/calendars.py):
it arrives on the first open school day at or after its step's nominal time,
inside the 07:30-17:30 send window, never in a holiday or at a weekend.
"""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from cpd.builtin_plans import BUILTIN_PLANS
from tests.support.inbox import text_of
from tests.support.stack import StackFactory
from tests.support.walk import Received, Walker
from tests.support.year import (
    TEACHER,
    a_good_answer,
    expected_initials,
    participant,
    school_year_now,
    trigger,
    whole_school_teacher,
)

PLAN_SENTENCE = "Retrieval starter with Year 9 set 2, every lesson, for six weeks"


async def test_whole_school_inset_year(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    plan = BUILTIN_PLANS["whole-school-inset"]
    year, monday, lead = await school_year_now(time_env)

    teacher = whole_school_teacher
    async with ts_stack(year.calendar, email_budget_per_week=10) as s:
        event = await trigger(s, plan.id, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 470, teacher)  # past a summer holiday after the last step

        initials = [
            (r.step_id, r.at)
            for r in walk.received
            if r.purpose == "initial" and r.step_id is not None
        ]
        assert initials == expected_initials(plan, year, monday)
        for r in walk.received:
            assert year.is_open(r.at.date()), f"{r.step_id} sent on a closed day {r.at}"
            assert "07:30" <= r.at.strftime("%H:%M") < "17:30", f"{r.step_id} sent at {r.at}"

        # Reminders, step by step: every two open days up to the cap, never once the
        # answer is in, never after the next step has started.
        sent_at = dict(initials)
        order = [step_id for step_id, _ in initials]
        for step_id, first in initials:
            step = plan.step(step_id)
            assert step is not None
            later = order.index(step_id) + 1
            closes = sent_at[order[later]] if later < len(order) else None
            answered = walk.answered.get(step_id)
            expected = (
                [
                    at
                    for n in range(1, step.reminders.max_reminders + 1)
                    if (at := year.open_days_after(first, step.reminders.every_working_days * n))
                    and (closes is None or at < closes)
                    and (answered is None or at < answered)
                ]
                if step.expects_answer
                else []
            )
            got = [r.at for r in walk.sends(step_id) if r.purpose == "reminder"]
            assert got == expected, step_id
        assert any(r.purpose == "reminder" for r in walk.received)  # the rule was exercised

        # "Need help" brings one extra cue, in open hours, and flags the leader.
        supports = [r for r in walk.received if r.purpose == "support"]
        if "checkin-week-2" in sent_at:
            [support] = supports
            # After the answer, often within the same minute (times are read to the minute).
            assert support.at >= sent_at["checkin-week-2"]
            assert "How is it going?" in str(support.message["Subject"])
        # Later emails quote the teacher's own plan back to them.
        after_plan = [r for r in walk.received if walk.answered.get("action-plan", r.at) < r.at]
        assert after_plan and all(
            f'Your plan: "{PLAN_SENTENCE}"' in text_of(r.message) for r in after_plan[:3]
        )

        detail = await participant(s, event)
        timeline = detail["timeline"]
        assert isinstance(timeline, dict)
        statuses = {step["step_id"]: step["status"] for step in timeline["steps"]}
        skipped = {step.id for step in plan.steps} - set(sent_at)
        assert {k for k, v in statuses.items() if v == "skipped"} == skipped
        if "checkin-week-6" in sent_at:
            assert statuses["checkin-week-6"] == "missed"  # never answered
        assert statuses["impact-12-months"] == "answered"
        assert timeline["stage"] == "completed"
        assert timeline["needs_help"] is ("checkin-week-2" in sent_at)
        person = detail["participant"]
        assert isinstance(person, dict)
        assert person["stage"] == "completed"
        assert {a["step_id"]: a["choice"] for a in person["answers"]}["impact-6-months"] == "4"


@pytest.mark.parametrize(
    "plan_id", ["team-cycle", "coaching-weekly", "coaching-fortnightly", "external-course"]
)
async def test_every_plan_runs_its_year_on_time(
    plan_id: str, time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    plan = BUILTIN_PLANS[plan_id]
    year, monday, lead = await school_year_now(time_env)

    def teacher(item: Received) -> dict[str, str] | None:
        step = plan.step(item.step_id or "")
        return a_good_answer(step.kind) if step else None

    # A low history limit makes long plans continue as new several times on the way.
    async with ts_stack(year.calendar, email_budget_per_week=10, workflow_history_limit=300) as s:
        event = await trigger(s, plan.id, monday)
        walk = Walker(time_env, s, TEACHER)
        last = plan.steps[-1].offset_days
        await walk.days(lead + last + 75, teacher)  # room for a summer holiday at the end

        assert [(r.step_id, r.at) for r in walk.received] == expected_initials(plan, year, monday)
        detail = await participant(s, event)
        timeline = detail["timeline"]
        assert isinstance(timeline, dict)
        assert timeline["stage"] == "completed"
        answered = {step["step_id"] for step in timeline["steps"] if step["status"] == "answered"}
        assert answered == {step_id for step_id, _ in expected_initials(plan, year, monday)}
        if len(plan.steps) > 20:
            handle = s.client.get_workflow_handle(
                f"cpd-{event['id']}-{detail['participant']['id']}"
            )
            history = await handle.fetch_history()
            started = history.events[0].workflow_execution_started_event_attributes
            assert started.continued_execution_run_id, "expected a continue-as-new on a long plan"
