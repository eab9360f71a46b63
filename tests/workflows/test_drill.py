"""The versioning drill: a follow-through started on the old workflow code finishes on the new.

The change drilled is PATCH_PEER_FOLLOW_UP (workflows/participant.py): a peer observation
answered "planned" gets one follow-up nudge a week later. docs/OPERATIONS.md ("Changing
workflow code") describes the drill and the rule it checks.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from cpd.calendar import SchoolCalendar
from cpd.models import Answer
from cpd.plans import StepKind
from run.worker import WORKFLOWS, build_worker
from tests.support.inbox import text_of
from tests.support.stack import TEST_CONVERTER, Stack, StackFactory
from tests.support.walk import Received, Walker
from tests.support.year import PLAN_FIELDS, TEACHER, school_year_now, trigger
from tests.workflows.old.participant import ParticipantWorkflow as OldParticipantWorkflow
from workflows.fanout import EventFanoutWorkflow
from workflows.participant import (
    FOLLOW_UP_OPEN_DAYS,
    PATCH_PEER_FOLLOW_UP,
    ParticipantWorkflow,
)

PEER_PLAN: dict[str, Any] = {
    "name": "Watch and be watched",
    "steps": [
        {"id": "action-plan", "kind": "action_plan", "offset_days": 0, "send_time": "16:00"},
        {"id": "peer-observation", "kind": "peer_observation", "offset_days": 14},
        {"id": "reflection", "kind": "reflection", "offset_days": 42},
    ],
}


def plans_an_observation(item: Received) -> dict[str, str] | None:
    """A teacher who answers every step at once, and has an observation planned."""
    if item.step_id == "action-plan":
        return PLAN_FIELDS
    if item.step_id == "peer-observation":
        return {"choice": "planned"}
    if item.step_id == "reflection":
        return {"text": "Watching Sam's Year 8 starter changed mine."}
    return None


async def start_peer_plan(s: Stack, monday: date) -> tuple[dict[str, str], str]:
    saved = await s.api.post("/v1/plans", json=PEER_PLAN, headers=s.auth())
    assert saved.status_code == 201, saved.text
    event = await trigger(s, saved.json()["id"], monday)
    listed = await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
    pid = listed.json()["items"][0]["id"]
    return event, f"cpd-{event['id']}-{pid}"


async def history_of(s: Stack, workflow_id: str) -> WorkflowHistory:
    return await s.client.get_workflow_handle(workflow_id).fetch_history()


def patches_taken(history: WorkflowHistory) -> set[str]:
    taken = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            details = event.marker_recorded_event_attributes.details
            if "patch-data" in details:
                taken.add(json.loads(details["patch-data"].payloads[0].data)["id"])
    return taken


def assert_followed_up_once(walk: Walker, cal: SchoolCalendar) -> None:
    """The teacher saw the whole plan, and exactly one nudge about the planned observation,
    five open days after they said it was planned, before the reflection."""
    seen = [(r.step_id, r.purpose) for r in walk.received]
    nudges = [r for r in walk.received if r.purpose == "follow_up"]
    assert len(nudges) == 1, seen
    said = " ".join(text_of(nudges[0].message).split())
    assert "If it has not happened yet, this is a good week to fix the time" in said
    assert cal.add_open_days(walk.answered["peer-observation"], FOLLOW_UP_OPEN_DAYS) <= (
        nudges[0].at + timedelta(minutes=1)
    )
    assert [r.step_id for r in walk.received if r.purpose == "initial"] == [
        "action-plan",
        "peer-observation",
        "reflection",
    ], seen
    assert walk.received.index(nudges[0]) == 2, seen  # after the question, before reflection
    assert set(walk.answered) == {"action-plan", "peer-observation", "reflection"}


async def test_a_follow_through_started_on_the_old_code_finishes_on_the_new(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """Started by a worker running the workflow code from before the change, finished by one
    running today's.

    The old code is a frozen copy of workflows/participant.py from before the change
    (tests/workflows/old/participant.py), registered under the same workflow type name, as
    the previous release's worker would be. No worker runs inside the stack: the test runs
    the old worker, lets the teacher answer the first step, stops it while the workflow
    sleeps towards the peer observation, then starts a worker with today's code on the same
    task queue (the old worker keeps no cache: see below). That worker replays the old
    history (no patch marker in it), then, running live, reaches the "planned" answer:
    ``workflow.patched`` records its marker and the nudge goes out. The whole history then
    replays under today's code, and not under the old code, which proves the run really
    took the new branch. The time-skipping server stands in for the dev server so that
    seven weeks of the plan pass in seconds; the workers are real, as in production.
    """
    year, monday, lead = await school_year_now(time_env, term_days=21)
    async with ts_stack(year.calendar, in_process_worker=False) as s:
        old = build_worker(
            s.client,
            s.settings,
            s.db,
            workflows=(OldParticipantWorkflow, EventFanoutWorkflow),
            # No cache, so no sticky queue: a real server moves a stopped worker's tasks
            # back to the shared queue after a few seconds; the time-skipping server never
            # does, and would wait for the old worker for ever.
            max_cached_workflows=0,
        )
        async with old:
            event, workflow_id = await start_peer_plan(s, monday)
            walk = Walker(time_env, s, TEACHER)
            await walk.days(lead + 3, plans_an_observation)
            assert set(walk.answered) == {"action-plan"}
        # The old release is gone; the workflow sleeps on its timer with no worker.
        before = await history_of(s, workflow_id)
        assert PATCH_PEER_FOLLOW_UP not in patches_taken(before)

        async with build_worker(s.client, s.settings, s.db):
            await walk.until_answered("reflection", plans_an_observation)
            handle = s.client.get_workflow_handle_for(ParticipantWorkflow.run, workflow_id)
            outcome = await handle.result()
        assert (outcome.stage, outcome.answered, outcome.missed) == ("completed", 3, 0)
        assert_followed_up_once(walk, year.calendar)
        async with s.db() as session:
            answers = (await session.exec(select(Answer))).all()
        assert sorted((a.step_id, a.choice) for a in answers) == [
            ("action-plan", ""),
            ("peer-observation", "planned"),
            ("reflection", ""),
        ]
        person = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        assert person["items"][0]["stage"] == "completed"

        history = await history_of(s, workflow_id)
        assert PATCH_PEER_FOLLOW_UP in patches_taken(history)
        await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(history)
        old_code = Replayer(
            workflows=[OldParticipantWorkflow, EventFanoutWorkflow], data_converter=TEST_CONVERTER
        )
        with pytest.raises(Exception, match="[Nn]ondeterminism"):
            await old_code.replay_workflow(history)


async def test_a_done_observation_is_not_nudged(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=21)
    async with ts_stack(year.calendar) as s:
        await start_peer_plan(s, monday)
        walk = Walker(time_env, s, TEACHER)

        def done_it(item: Received) -> dict[str, str] | None:
            if item.step_id == "peer-observation":
                return {"choice": "done"}
            return plans_an_observation(item)

        await walk.until_answered("reflection", done_it)
        assert [r.purpose for r in walk.received] == ["initial"] * 3
        assert set(walk.answered) == {"action-plan", "peer-observation", "reflection"}


def test_a_peer_observation_is_a_kind_a_plan_may_use() -> None:
    assert StepKind("peer_observation") is StepKind.PEER_OBSERVATION


async def test_no_nudge_when_the_next_step_comes_first(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """The nudge is only sent if it is due before the plan's next step: that email is the
    next prompt anyway, and one a day is the most a teacher gets."""
    soon = {
        "name": "Watch, then look back",
        "steps": [
            {"id": "peer-observation", "kind": "peer_observation", "offset_days": 0},
            {"id": "reflection", "kind": "reflection", "offset_days": 3},
        ],
    }
    year, monday, lead = await school_year_now(time_env, term_days=14)
    async with ts_stack(year.calendar) as s:
        saved = await s.api.post("/v1/plans", json=soon, headers=s.auth())
        assert saved.status_code == 201, saved.text
        await trigger(s, saved.json()["id"], monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 20, plans_an_observation)
        assert walk.answered.keys() == {"peer-observation", "reflection"}
        assert [(r.step_id, r.purpose) for r in walk.received] == [
            ("peer-observation", "initial"),
            ("reflection", "initial"),
        ]


async def test_not_yet_brings_a_suggestion_to_watch_a_colleague(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=21)
    async with ts_stack(year.calendar) as s:
        event, _ = await start_peer_plan(s, monday)
        walk = Walker(time_env, s, TEACHER)

        def not_yet(item: Received) -> dict[str, str] | None:
            if item.step_id == "peer-observation":
                return {"choice": "not_yet"}
            return plans_an_observation(item)

        await walk.days(lead + 20, not_yet)
        purposes = [(r.step_id, r.purpose) for r in walk.received]
        assert purposes == [
            ("action-plan", "initial"),
            ("peer-observation", "initial"),
            (None, "support"),
        ]
        said = " ".join(text_of(walk.received[2].message).split())
        assert "Ask one colleague this week if you can watch ten minutes" in said
        listed = await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        assert listed.json()["items"][0]["needs_help"] is True
