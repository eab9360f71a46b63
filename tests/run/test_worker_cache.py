"""A worker keeps only so many sleeping workflows in memory (CPD_WORKER_MAX_CACHED_WORKFLOWS,
docs/BENCHMARKS.md); the ones it lets go are rebuilt from their histories when next woken,
and neither a leader nor a teacher can tell."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, func, select
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from cpd.models import Participant
from tests.support.calendars import LONDON
from tests.support.inbox import links_of
from tests.support.stack import Stack, StackFactory

TEACHERS = [{"name": f"Teacher {i}", "email": f"t{i}@hillside.example"} for i in range(6)]


async def asleep(s: Stack) -> int:
    query = select(func.count()).where(col(Participant.stage) == "waiting")
    async with s.db() as session:
        return int((await session.exec(query)).one())


async def test_teachers_the_worker_let_go_still_show_and_get_their_emails(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    # No holidays: the test server's clock may be anywhere in the year by now.
    async with ts_stack(SchoolCalendar(nation=None), worker_max_cached_workflows=2) as s:
        today = (await time_env.get_current_time()).astimezone(LONDON).date()
        body = {
            "reference": "cache",
            "title": "Retrieval practice",
            "event_date": (today + timedelta(days=3)).isoformat(),
            "participants": TEACHERS,
        }
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        async with asyncio.timeout(60):
            while await asleep(s) < len(TEACHERS):
                await asyncio.sleep(0.2)

        # Six asleep, two kept: a leader's view of each is the same, rebuilt or not.
        async with s.db() as session:
            ids = (await session.exec(select(Participant.workflow_id))).all()
        views = [await s.client.get_workflow_handle(i).query("timeline") for i in ids]
        assert {(v["stage"], v["next_step_id"], v["next_due_at"]) for v in views} == {
            ("waiting", "action-plan", views[0]["next_due_at"])
        }

        await time_env.sleep(timedelta(days=5))
        for teacher in TEACHERS:
            mails = s.smtp.inbox.to(teacher["email"])
            plans = [m for m in mails if str(m["Subject"]).startswith("Your action plan")]
            assert len(plans) == 1, teacher["email"]
            token = links_of(plans[0])[0].split("/a/")[1].split("?")[0]
            assert s.signer.verify(token, "answer").step_id == "action-plan"
