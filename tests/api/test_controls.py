"""Pause, withdrawal, cancellation, later additions and the weekly email budget."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from cpd.builtin_plans import BUILTIN_PLANS
from tests.support.calendars import LONDON
from tests.support.census import running_and_recounted
from tests.support.inbox import links_of, text_of
from tests.support.stack import StackFactory
from tests.support.walk import Received, Walker
from tests.support.year import (
    PLAN_FIELDS,
    TEACHER,
    expected_initials,
    nominal,
    participant,
    school_year_now,
    trigger,
)

PLAN = BUILTIN_PLANS["whole-school-inset"]


def plan_only(item: Received) -> dict[str, str] | None:
    return PLAN_FIELDS if item.step_id == "action-plan" else None


async def test_a_pause_shifts_the_rest_of_the_plan(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar, email_budget_per_week=10) as s:
        event = await trigger(s, PLAN.id, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 2, plan_only)
        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        url = f"/v1/events/{event['id']}/participants/{status['items'][0]['id']}"

        paused = await s.api.post(url + "/pause", json={"reason": "illness"}, headers=s.auth())
        assert paused.status_code == 200
        assert paused.json()["timeline"]["paused"] is True
        await walk.days(21)
        assert [r.step_id for r in walk.received] == ["action-plan"]  # nothing while paused
        resumed = await s.api.post(url + "/resume", headers=s.auth())
        assert resumed.json()["timeline"]["paused"] is False
        await walk.days(120)  # room for a summer holiday

        # Everything after the pause moved by its 21 days (then into open hours).
        expected = expected_initials(
            PLAN, year, monday, shift=timedelta(days=21), sent_before_shift=1
        )
        initials = [(r.step_id, r.at) for r in walk.received if r.purpose == "initial"]
        assert initials[0] == (
            "action-plan",
            year.expected_send(nominal(PLAN, "action-plan", monday)),
        )
        assert initials[1:] == [e for e in expected if e[1] <= walk.received[-1].at]
        assert len(initials) >= 4


async def test_one_click_unsubscribe_withdraws_and_nothing_more_is_sent(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        event = await trigger(s, PLAN.id, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 1)
        [first] = walk.received
        unsubscribe = str(first.message["List-Unsubscribe"]).strip("<>")
        assert first.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # What a mail client does for RFC 8058 one-click.
        done = await s.api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        await walk.days(60)
        assert len(walk.received) == 1

        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        assert status["items"][0]["stage"] == "withdrawn"
        answer = await s.api.post(links_of(first.message)[0], data=PLAN_FIELDS)
        assert answer.status_code == 409
        assert "has ended" in answer.text


async def test_cancelling_an_event_ends_everyone_and_additions_start_only_the_new(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        event = await trigger(s, PLAN.id, monday, people=3)
        await time_env.sleep(timedelta(days=lead + 1))
        assert len(s.smtp.inbox.messages) == 3

        more = {
            "participants": [
                {"name": "Teacher", "email": TEACHER},  # already in: left alone
                {"name": "Late Joiner", "email": "late@hillside.example"},
            ]
        }
        added = await s.api.post(
            f"/v1/events/{event['id']}/participants", json=more, headers=s.auth()
        )
        assert added.status_code == 201
        assert [p["email"] for p in added.json()["added"]] == ["late@hillside.example"]
        assert added.json()["already_in_event"] == [TEACHER]
        await time_env.sleep(timedelta(days=4))  # long enough for an open slot

        def subjects(who: str) -> list[str]:
            return [str(m["Subject"]).split(" (")[0] for m in s.smtp.inbox.to(who)]

        # The newcomer starts at the beginning; those already in are not started again.
        assert subjects("late@hillside.example")[0] == "Your action plan"
        assert subjects(TEACHER).count("Your action plan") == 1

        cancelled = await s.api.post(f"/v1/events/{event['id']}/cancel", headers=s.auth())
        assert cancelled.status_code == 200 and cancelled.json()["cancelled"] is True
        before = len(s.smtp.inbox.messages)
        await time_env.sleep(timedelta(days=60))
        assert len(s.smtp.inbox.messages) == before
        status = (await s.api.get(f"/v1/events/{event['id']}", headers=s.auth())).json()
        assert status["stages"] == {"withdrawn": 4}
        assert status["attention"]["withdrawn"]["count"] == 4
        # The newcomer was counted on the way in, and everyone moved on from there.
        running, recounted = await running_and_recounted(s.db, event["id"])
        assert running == recounted
        refused = await s.api.post(
            f"/v1/events/{event['id']}/participants", json=more, headers=s.auth()
        )
        assert refused.status_code == 409


async def test_a_teacher_in_three_programmes_gets_at_most_the_weekly_budget(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar, email_budget_per_week=3) as s:
        for plan_id in ("whole-school-inset", "external-course", "team-cycle"):
            await trigger(s, plan_id, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 35)

        per_week = Counter(r.at.isocalendar()[:2] for r in walk.received)
        assert max(per_week.values()) == 3
        # Reminders give way first; every programme's first email still arrives.
        action_plans = [r for r in walk.received if r.step_id == "action-plan"]
        assert [r.purpose for r in action_plans].count("initial") == 3
        alone = expected_initials(PLAN, year, monday)
        assert len(walk.received) < 3 * len(alone)


async def test_an_answer_after_the_window_is_recorded_as_late(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        event = await trigger(s, PLAN.id, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 1)
        detail = await participant(s, event)
        for _ in range(40):  # until the action plan's window has closed unanswered
            if detail["timeline"]["steps"][0]["status"] == "missed":
                break
            await walk.days(1)
            detail = await participant(s, event)
        assert detail["timeline"]["steps"][0]["status"] == "missed"
        [first, *_] = walk.sends("action-plan")
        page = await s.api.post(walk.answer_link(first), data=PLAN_FIELDS)
        assert page.status_code == 200
        assert "recorded as a late answer" in page.text
        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        [answer] = status["items"][0]["answers"]
        assert answer["step_id"] == "action-plan" and answer["late"] is True
        # A late plan is still the teacher's plan: later emails quote it.
        answered_at = (await time_env.get_current_time()).astimezone(LONDON)
        await walk.days(30)
        later = [r for r in walk.received if r.at > answered_at]
        assert later and "Retrieval starter with Year 9 set 2" in text_of(later[0].message)
