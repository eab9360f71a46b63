"""Year-long workflows outlive deployments: recorded histories must still replay.

Each file in tests/workflows/histories/ is a whole history recorded on the time-skipping
server. Replaying it against today's workflow code fails on any change that
is not behind ``workflow.patched``.

Record new ones (after a deliberate, patched change) with:
    CPD_RECORD_HISTORIES=1 ./scripts/test tests/workflows/test_replay.py
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from cpd.names import fanout_workflow_id
from cpd.plans import StepKind
from run.worker import WORKFLOWS
from services import triggers
from tests.support.calendars import LONDON
from tests.support.stack import TEST_CONVERTER, Stack, StackFactory
from tests.support.walk import Received, Walker
from tests.support.year import (
    TEACHER,
    a_good_answer,
    school_year_now,
    trigger,
    whole_school_teacher,
)
from workflows import participant

HISTORIES = Path(__file__).parent / "histories"
RECORDING = os.environ.get("CPD_RECORD_HISTORIES") == "1"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.history.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.name)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)
    await replayer.replay_workflow(history)


def test_every_patch_has_a_recorded_history_that_takes_it() -> None:
    """Old histories replay the branch before a patch; a newer one must replay the after."""
    patches = {v for k, v in vars(participant).items() if k.startswith("PATCH_")}
    taken: set[str] = set()
    for path in recorded():
        history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                details = event.marker_recorded_event_attributes.details
                if "patch-data" in details:
                    taken.add(json.loads(details["patch-data"].payloads[0].data)["id"])
    assert patches <= taken, f"no recorded history takes {sorted(patches - taken)}"


def test_every_workflow_type_has_a_recorded_year() -> None:
    names = {p.name for p in recorded()}
    assert "participant-whole-school-year.history.json" in names
    assert "participant-coaching-weekly-last-run.history.json" in names
    assert "fanout-start.history.json" in names
    assert "fanout-cancel.history.json" in names
    assert "fanout-calendar-school.history.json" in names
    assert "participant-peer-observation.history.json" in names
    assert "participant-send-in-open-hours.history.json" in names


async def _save(s: Stack, workflow_id: str, name: str, run_id: str | None = None) -> None:
    handle = s.client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    # Never overwrite: older histories stand for runs still in flight.
    candidates = [name, f"{name}-{date.today():%Y%m%d}"]
    candidates += (f"{name}-{date.today():%Y%m%d}-{n}" for n in range(2, 100))
    path = next(p for c in candidates if not (p := HISTORIES / f"{c}.history.json").exists())
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))


@pytest.mark.skipif(not RECORDING, reason="set CPD_RECORD_HISTORIES=1 to record")
async def test_record_histories(time_env: WorkflowEnvironment, ts_stack: StackFactory) -> None:
    year, monday, lead = await school_year_now(time_env)
    teacher = whole_school_teacher

    async with ts_stack(year.calendar) as s:
        # A whole-school year: reminders, a missed step, need-help, a pause, late answers.
        event = await trigger(s, "whole-school-inset", monday)
        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        pid = status["items"][0]["id"]
        url = f"/v1/events/{event['id']}/participants/{pid}"
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 20, teacher)
        await s.api.post(url + "/pause", json={"reason": "leave"}, headers=s.auth())
        await walk.days(10, teacher)
        await s.api.post(url + "/resume", headers=s.auth())
        await walk.days(400, teacher)
        await _save(s, f"cpd-{event['id']}-{pid}", "participant-whole-school-year")
        await _save(s, fanout_workflow_id(event["id"]), "fanout-start")

    # Each event dated from the server's clock now: a trigger more than 400 days ahead is refused.
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar, workflow_history_limit=300) as s:
        # A weekly coaching year: continues as new; the last run replays from carried state.
        event = await trigger(s, "coaching-weekly", monday)
        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        pid = status["items"][0]["id"]
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 330, lambda r: a_good_answer_for(r))
        await _save(s, f"cpd-{event['id']}-{pid}", "participant-coaching-weekly-last-run")

    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        event = await trigger(s, "team-cycle", monday, people=3)
        await time_env.sleep(timedelta(days=1))
        await s.api.post(f"/v1/events/{event['id']}/cancel", headers=s.auth())
        await time_env.sleep(timedelta(days=1))
        await _save(s, f"cpd-cancel-{event['id']}", "fanout-cancel")


@pytest.mark.skipif(not RECORDING, reason="set CPD_RECORD_HISTORIES=1 to record")
async def test_record_peer_observation_history(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """A plan with a peer observation answered "planned": the run takes PATCH_PEER_FOLLOW_UP."""
    from tests.workflows.test_drill import plans_an_observation, start_peer_plan

    year, monday, lead = await school_year_now(time_env, term_days=21)
    async with ts_stack(year.calendar) as s:
        _, workflow_id = await start_peer_plan(s, monday)
        walk = Walker(time_env, s, TEACHER)
        await walk.days(lead + 70, plans_an_observation)
        assert any(r.purpose == "follow_up" for r in walk.received)
        await _save(s, workflow_id, "participant-peer-observation")


@pytest.mark.skipif(not RECORDING, reason="set CPD_RECORD_HISTORIES=1 to record")
async def test_record_mail_pace_history(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """First emails over the mail pace: a run that waits for its send slot on a timer
    takes PATCH_MAIL_SLOT's timer path."""
    from tests.workflows.test_mail_pace import PEOPLE, slot_waits, workflow_ids

    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar, smtp_rate_per_second=1) as s:
        event = await trigger(s, "whole-school-inset", monday, people=PEOPLE)
        await Walker(time_env, s, TEACHER).days(lead + 2)
        for workflow_id in await workflow_ids(s, event["id"]):
            if await slot_waits(s, workflow_id):
                await _save(s, workflow_id, "participant-mail-pace")
                return
    raise AssertionError("no participant waited for a send slot")


@pytest.mark.skipif(not RECORDING, reason="set CPD_RECORD_HISTORIES=1 to record")
async def test_record_send_in_open_hours_history(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """The mail server down from a step's 16:00 until after the school shuts: the run takes
    PATCH_SEND_IN_OPEN_HOURS, and the email goes in a later open window."""
    plan = {
        "name": "A late-afternoon check-in",
        "steps": [
            {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "16:00"},
            {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
        ],
    }
    year, monday, lead = await school_year_now(time_env, term_days=14)
    async with ts_stack(year.calendar) as s:
        saved = await s.api.post("/v1/plans", json=plan, headers=s.auth())
        assert saved.status_code == 201, saved.text
        event = await trigger(s, saved.json()["id"], monday)
        listed = await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        workflow_id = f"cpd-{event['id']}-{listed.json()['items'][0]['id']}"
        due = datetime.combine(monday, time(16), LONDON)
        await time_env.sleep(due - timedelta(hours=1) - await time_env.get_current_time())
        s.smtp.stop()
        await time_env.sleep(timedelta(hours=4))  # failing from 16:00 until after 17:30
        s.smtp.start_again()
        walk = Walker(time_env, s, TEACHER)
        await walk.until_answered("checkin", lambda r: a_good_answer(StepKind.PRACTICE_CHECKIN))
        assert walk.sends("checkin")[0].at.date() > monday
        await _save(s, workflow_id, "participant-send-in-open-hours")


@pytest.mark.skipif(not RECORDING, reason="set CPD_RECORD_HISTORIES=1 to record")
async def test_record_school_calendar_history(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    """A calendar saved for a school with two events running: one fan-out tells them all."""
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        for plan in ("team-cycle", "whole-school-inset"):
            await trigger(s, plan, monday, people=2)
        await time_env.sleep(timedelta(days=1))
        workflow_id = await triggers.recalendar(s.client, s.settings.task_queue, s.school_id)
        result = await s.client.get_workflow_handle(workflow_id).result()
        assert result == 4  # every running follow-through was told
        await _save(s, workflow_id, "fanout-calendar-school")


def a_good_answer_for(item: Received) -> dict[str, str] | None:
    from cpd.builtin_plans import BUILTIN_PLANS

    step = BUILTIN_PLANS["coaching-weekly"].step(item.step_id or "")
    return a_good_answer(step.kind) if step else None
