"""Act on every participant of one event, in pages: start them, or withdraw them; or
tell every running follow-through at a school that its calendar changed.

A tiny orchestrator: each page is one activity that starts (or signals) up
to a few hundred workflows concurrently. It continues as new every few pages
so even a trust-wide event keeps a short history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities import contracts
    from activities.contracts import FanoutPageIn
    from cpd.names import FANOUT_WORKFLOW

PAGES_PER_RUN = 20


class FanoutInput(BaseModel):
    event_id: str
    # "calendar" only: every running follow-through at this school, whatever its event.
    school_id: str = ""
    # "start" starts one batch of participants (0: those posted with the event,
    # then one batch per later addition); "withdraw" ends everyone's (a cancelled event).
    action: Literal["start", "withdraw", "pause", "resume", "calendar"] = "start"
    batch: int = 0
    reason: str = ""
    cursor: str = ""
    page_size: int = 500
    done: int = 0
    # When the first run began: participants' first steps are paced from here.
    begun_at: datetime | None = None


@workflow.defn(name=FANOUT_WORKFLOW)
class EventFanoutWorkflow:
    @workflow.run
    async def run(self, inp: FanoutInput) -> int:
        cursor: str | None = inp.cursor
        done = inp.done
        begun_at = inp.begun_at or workflow.now()
        activity = {
            "start": contracts.start_participant_page,
            "withdraw": contracts.withdraw_participant_page,
            "pause": contracts.pause_participant_page,
            "resume": contracts.resume_participant_page,
            "calendar": contracts.recalendar_participant_page,
        }[inp.action]
        for _ in range(PAGES_PER_RUN):
            if cursor is None:
                return done
            out = await workflow.execute_activity(
                activity,
                FanoutPageIn(
                    event_id=inp.event_id,
                    school_id=inp.school_id,
                    batch=inp.batch if inp.action == "start" else None,
                    reason=inp.reason,
                    after_participant_id=cursor,
                    page_size=inp.page_size,
                    position=done,
                    begun_at=begun_at,
                ),
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            done += out.done
            cursor = out.next_cursor
        if cursor is None:
            return done
        workflow.continue_as_new(
            inp.model_copy(update={"cursor": cursor, "done": done, "begun_at": begun_at})
        )
