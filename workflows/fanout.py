"""Start every participant's follow-through for one event, in pages.

A tiny orchestrator: each page is one activity that starts up to a few
hundred workflows concurrently. It continues as new every few pages so even
a trust-wide event keeps a short history.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.fanout import FanoutActivities, FanoutPageIn

PAGES_PER_RUN = 20


class FanoutInput(BaseModel):
    event_id: str
    cursor: str = ""
    page_size: int = 500
    started: int = 0


@workflow.defn
class EventFanoutWorkflow:
    @workflow.run
    async def run(self, inp: FanoutInput) -> int:
        cursor: str | None = inp.cursor
        started = inp.started
        for _ in range(PAGES_PER_RUN):
            if cursor is None:
                return started
            out = await workflow.execute_activity_method(
                FanoutActivities.start_participant_page,
                FanoutPageIn(
                    event_id=inp.event_id, after_participant_id=cursor, page_size=inp.page_size
                ),
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            started += out.started
            cursor = out.next_cursor
        if cursor is None:
            return started
        workflow.continue_as_new(
            FanoutInput(
                event_id=inp.event_id, cursor=cursor, page_size=inp.page_size, started=started
            )
        )
