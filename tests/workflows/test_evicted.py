"""A follow-through must replay from its history at any workflow task: after a worker
restart, a deployment, or whenever the worker's cache (200 runs by default) lets it go.
Here the worker caches nothing, so every task replays the whole history first.

The path: a teacher paused while their follow-through waits to begin (as everyone in a
large event does: activities/fanout.py paces first steps), then removed. The contract
test's run found one such follow-through whose every task failed with a nondeterminism
error (a patch first asked for in the task after a local activity; see
PATCH_DECIDED_AT_START in workflows/participant.py): the leader's "Remove" answered 500 and
the plan was stuck. This test walks the path and checks each history replays; it did not
reproduce that task boundary by itself, which depends on timing.
"""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.worker import Replayer

from run.worker import WORKFLOWS
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.stack import TEST_CONVERTER, Stack, StackFactory

PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},
    {"name": "Grace Hopper", "email": "grace@hillside.example"},
]


async def stage_of(s: Stack, url: str, want: str, timeout: float = 60) -> dict:
    for _ in range(int(timeout * 4)):
        got = (await s.api.get(url, headers=s.auth())).json()
        if got["participant"]["stage"] == want:
            return got
        await asyncio.sleep(0.25)
    raise AssertionError(f"never {want}: {got['participant']}")


async def test_a_teacher_paused_before_their_first_step_can_be_removed(
    dev_stack: StackFactory,
) -> None:
    # At 0.2 a second, the event's two follow-throughs begin about 10 s after they start.
    async with dev_stack(worker_max_cached_workflows=0, fan_out_begin_per_second=0.2) as s:
        # A step due at once: the built-in plans' first email waits for 16:00 in London.
        body = event("evicted", PEOPLE, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()
        people = f"/v1/events/{created['id']}/participants"
        ada = grace = None
        for _ in range(100):
            listed = (await s.api.get(people, headers=s.auth())).json()["items"]
            by_email = {p["email"]: p for p in listed}
            ada, grace = by_email.get(PEOPLE[0]["email"]), by_email.get(PEOPLE[1]["email"])
            if ada and grace:
                break
            await asyncio.sleep(0.1)
        assert ada and grace, listed
        for _ in range(100):  # until the event's fan-out has started Ada's follow-through
            paused = await s.api.post(f"{people}/{ada['id']}/pause", json={}, headers=s.auth())
            if paused.status_code != 409:
                break
            assert paused.json()["error"] == "starting", paused.text
            await asyncio.sleep(0.1)
        assert paused.status_code == 200, paused.text

        # Grace's plan begins; Ada's shows paused on the leader's page, and nothing went.
        await s.smtp.inbox.wait_for(1, timeout=120)
        assert [m["To"] for m in s.smtp.inbox.messages] == ["Grace Hopper <grace@hillside.example>"]
        await stage_of(s, f"{people}/{ada['id']}", "paused")

        removed = await s.api.delete(f"{people}/{ada['id']}", headers=s.auth())
        assert removed.status_code == 200, removed.text
        await stage_of(s, f"{people}/{ada['id']}", "withdrawn")
        assert [m["To"] for m in s.smtp.inbox.messages] == ["Grace Hopper <grace@hillside.example>"]

        for person in (ada, grace):
            handle = s.client.get_workflow_handle(f"cpd-{created['id']}-{person['id']}")
            history = await handle.fetch_history()
            failed = [
                e.workflow_task_failed_event_attributes.failure.message
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            assert not failed, failed
            await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(
                history
            )
