"""A school year on the time-skipping server: a teacher, their answers, and when emails are due.

Shared by the year-long workflow tests, the controls and the reports.
"""

from __future__ import annotations

import asyncio
import time as clock
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from cpd.builtin_plans import BUILTIN_PLANS
from cpd.models import Participant
from cpd.plans import Plan, StepKind
from tests.support.calendars import LONDON, SchoolYear, english_school_years
from tests.support.stack import Stack
from tests.support.walk import Received

PLAN_FIELDS = {
    "context": "Retrieval starter",
    "class_name": "Year 9 set 2",
    "frequency": "every lesson",
    "duration": "six weeks",
}
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


async def signalled(env: WorkflowEnvironment, s: Stack, timeout: float = 30) -> None:
    """Hold the test server's clock until the participant has the calendar signal: the
    school's calendar fan-out delivers it, and skipped time must not overtake it."""
    async with s.db() as session:
        [person] = (await session.exec(select(Participant))).all()
    handle = s.client.get_workflow_handle(person.workflow_id)
    deadline = clock.monotonic() + timeout
    with env.auto_time_skipping_disabled():
        while clock.monotonic() < deadline:
            history = await handle.fetch_history()
            if any(
                e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
                and e.workflow_execution_signaled_event_attributes.signal_name == "calendar_changed"
                for e in history.events
            ):
                return
            await asyncio.sleep(0.2)
    raise AssertionError("the calendar signal did not arrive")
