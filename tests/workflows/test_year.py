"""A year of follow-through per built-in plan, on the time-skipping server.

Every email is checked against an independent oracle (tests/support/calendars.py):
it arrives on the first open school day at or after its step's nominal time,
inside the 07:30-17:30 send window, never in a holiday or at a weekend.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from cpd.builtin_plans import BUILTIN_PLANS
from cpd.plans import Plan, StepKind
from tests.conftest import Stack, StackFactory
from tests.support.calendars import LONDON, SchoolYear, english_school_years
from tests.support.inbox import text_of
from tests.support.walk import Received, Walker

PLAN_FIELDS = {
    "context": "Retrieval starter",
    "class_name": "Year 9 set 2",
    "frequency": "every lesson",
    "duration": "six weeks",
}
PLAN_SENTENCE = "Retrieval starter with Year 9 set 2, every lesson, for six weeks"
TEACHER = "ada@hillside.example"


def a_good_answer(kind: StepKind) -> dict[str, str]:
    return {
        StepKind.ACTION_PLAN: PLAN_FIELDS,
        StepKind.CUE: {"choice": "done"},
        StepKind.PRACTICE_CHECKIN: {"choice": "tried_twice"},
        StepKind.IMPACT_CHECK: {"choice": "4"},
        StepKind.LEADER_CHECK: {"choice": "3"},
        StepKind.EVIDENCE: {"text": "https://drive.example/y9-quiz-results"},
        StepKind.REFLECTION: {"text": "Keeping the starters; next, spacing homework."},
    }[kind]


def whole_school_teacher(item: Received) -> dict[str, str] | None:
    """A realistic teacher: plans when nudged, asks for help once, lets some steps go."""
    if item.step_id == "action-plan":
        # Answers only when nudged: exactly one reminder, then none.
        return PLAN_FIELDS if item.purpose == "reminder" else None
    if item.step_id == "checkin-week-2":
        return {"choice": "need_help"}
    if item.step_id in ("checkin-week-6", None) or item.step_id.startswith("cue"):
        return None  # never answered: reminders up to the cap, then missed
    step = BUILTIN_PLANS["whole-school-inset"].step(item.step_id)
    return a_good_answer(step.kind) if step else None


async def school_year_now(
    env: WorkflowEnvironment, term_days: int = 0
) -> tuple[SchoolYear, date, int]:
    """The school years around the server's clock, the first open Monday ahead (followed
    by ``term_days`` days with no holiday, when a test needs them), and the days until it."""
    now = (await env.get_current_time()).astimezone(LONDON).date()
    year = english_school_years(now.year - 1, years=3)
    day = now + timedelta(days=2)

    def in_term(start: date) -> bool:
        days = (start + timedelta(days=n) for n in range(term_days + 1))
        return all(year.is_open(d) for d in days if d.weekday() < 5)

    while day.weekday() != 0 or not year.is_open(day) or not in_term(day):
        day += timedelta(days=1)
    return year, day, (day - now).days


async def trigger(s: Stack, plan_id: str, event_date: date, people: int = 1) -> dict[str, str]:
    emails = [TEACHER] + [f"t{i}@hillside.example" for i in range(1, people)]
    body = {
        "reference": f"{plan_id}-{event_date}",
        "title": "Retrieval practice",
        "event_date": event_date.isoformat(),
        "plan_id": plan_id,
        "participants": [{"name": f"Teacher {e}", "email": e} for e in emails],
    }
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    assert created.status_code == 201, created.text
    return created.json()


def nominal(plan: Plan, step_id: str, event_date: date, shift: timedelta = timedelta()) -> datetime:
    step = plan.step(step_id)
    assert step is not None
    return (
        datetime.combine(event_date + timedelta(days=step.offset_days), step.send_time, LONDON)
        + shift
    )


def expected_initials(
    plan: Plan,
    year: SchoolYear,
    event_date: date,
    shift: timedelta = timedelta(),
    sent_before_shift: int = 0,
) -> list[tuple[str, datetime]]:
    """When each step's first email should arrive, by the rules a school was promised:
    - the first open moment at or after the step's nominal time;
    - at most one new step a day: a step held back by a holiday goes the next open day;
    - a cue or check-in that the next step overtakes (due the same day) is skipped.
    ``shift`` (a pause) applies to the steps after the first ``sent_before_shift``."""
    sent: list[tuple[str, datetime]] = []
    not_before: datetime | None = None

    def due(i: int) -> datetime:
        at = year.expected_send(nominal(plan, plan.steps[i].id, event_date, shift))
        return max(at, not_before) if not_before else at

    for i, step in enumerate(plan.steps):
        if i < sent_before_shift:
            continue
        at = due(i)
        routine = step.kind in (StepKind.CUE, StepKind.PRACTICE_CHECKIN)
        if routine and i + 1 < len(plan.steps) and due(i + 1).date() <= at.date():
            continue
        sent.append((step.id, at))
        not_before = year.expected_send(
            datetime.combine(at.date() + timedelta(days=1), time(0), LONDON)
        )
    return sent


async def participant(s: Stack, event: dict[str, str]) -> dict[str, Any]:
    status = (await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())).json()
    person = status["items"][0]
    url = f"/v1/events/{event['id']}/participants/{person['id']}"
    return (await s.api.get(url, headers=s.auth())).json()


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
            assert support.at > sent_at["checkin-week-2"]
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
