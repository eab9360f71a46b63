"""Start the participant workflows of one event, a page at a time.

The API only records the event and starts one small fan-out workflow, so a
5,000-person INSET is accepted at once; this activity then starts the
participants' workflows concurrently. Starting is idempotent: the workflow
id is the business key, and an already-started id counts as done.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.contracts import FanoutPageIn, FanoutPageOut
from cpd import school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Transactions
from cpd.models import Event, Participant, School
from cpd.names import PARTICIPANT_WORKFLOW, SA_EVENT_ID, SA_SCHOOL_ID, SA_STAGE
from cpd.temporal import WorkflowGone, gone_if_not_found
from workflows.types import ParticipantInput


class FanoutActivities:
    def __init__(
        self,
        client: Client,
        transactions: Transactions,
        task_queue: str,
        history_limit: int = 5_000,
        send_timeout: int = 120,
        concurrency: int = 64,
        begin_per_second: float = 0.0,
        burst: int = 0,
    ) -> None:
        self._history_limit = history_limit
        self._send_timeout = send_timeout
        self._client = client
        self._tx = transactions
        self._task_queue = task_queue
        self._concurrency = concurrency
        self._begin_per_second = begin_per_second
        self._burst = burst

    @activity.defn
    async def start_participant_page(self, inp: FanoutPageIn) -> FanoutPageOut:
        found = await self._tx.read(_event_and_page, inp)
        if found is None:
            return FanoutPageOut(done=0, skipped=0, next_cursor=None)
        event, page = found.event, found.page
        today = activity.info().current_attempt_scheduled_time.date()
        calendar = school_year.effective(found.calendar, today)
        plan = event.plan
        gate = asyncio.Semaphore(self._concurrency)
        delays = self._delays(inp, len(page))

        async def start(p: Participant, delay: timedelta | None) -> bool:
            async with gate:
                try:
                    await self._client.start_workflow(
                        PARTICIPANT_WORKFLOW,
                        ParticipantInput(
                            school_id=event.school_id,
                            event_id=event.id,
                            participant_id=p.id,
                            teacher_name=p.name,
                            email=p.email,
                            event_title=event.title,
                            event_date=event.event_date,
                            plan=plan,
                            calendar=calendar,
                            continue_after_events=self._history_limit,
                            send_timeout_seconds=self._send_timeout,
                        ),
                        id=p.workflow_id,
                        task_queue=self._task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        start_delay=delay,
                        search_attributes=TypedSearchAttributes(
                            [
                                SearchAttributePair(SA_SCHOOL_ID, event.school_id),
                                SearchAttributePair(SA_EVENT_ID, event.id),
                                SearchAttributePair(SA_STAGE, "scheduled"),
                            ]
                        ),
                    )
                    return True
                except WorkflowAlreadyStartedError:
                    return False

        outcomes = await asyncio.gather(*(start(p, d) for p, d in zip(page, delays, strict=True)))
        return self._out(page, inp.page_size, outcomes)

    def _delays(self, inp: FanoutPageIn, count: int) -> list[timedelta | None]:
        """How long each participant of the page waits before its first workflow task.

        Every participant is started now (durably, visible to leaders), but there is no
        sense in 5,000 first steps running at once to queue their emails behind the
        mail rate: they would take the worker and the Temporal server from the starts
        still to make, and mail would trickle out only once all had caught up. Beyond
        a small burst, each begins at its turn in a steady pace from ``begun_at``.
        """
        if self._begin_per_second <= 0 or inp.begun_at is None:
            return [None] * count
        # Both times by the Temporal server's clock (the test server's may run ahead).
        elapsed = (activity.info().current_attempt_scheduled_time - inp.begun_at).total_seconds()
        delays: list[timedelta | None] = []
        for i in range(count):
            turn = (inp.position + i - self._burst) / self._begin_per_second
            delays.append(timedelta(seconds=round(turn - elapsed, 3)) if turn > elapsed else None)
        return delays

    @activity.defn
    async def withdraw_participant_page(self, inp: FanoutPageIn) -> FanoutPageOut:
        return await self._signal_page(inp, "withdraw", inp.reason or "cancelled")

    @activity.defn
    async def pause_participant_page(self, inp: FanoutPageIn) -> FanoutPageOut:
        return await self._signal_page(inp, "pause", inp.reason or "event paused")

    @activity.defn
    async def resume_participant_page(self, inp: FanoutPageIn) -> FanoutPageOut:
        return await self._signal_page(inp, "resume")

    @activity.defn
    async def recalendar_participant_page(self, inp: FanoutPageIn) -> FanoutPageOut:
        return await self._signal_page(inp, "calendar_changed")

    async def _signal_page(self, inp: FanoutPageIn, signal: str, *args: str) -> FanoutPageOut:
        page = await self._tx.read(_page, inp)
        gate = asyncio.Semaphore(self._concurrency)

        async def send(p: Participant) -> bool:
            async with gate:
                handle = self._client.get_workflow_handle(p.workflow_id)
                try:
                    with gone_if_not_found():
                        await handle.signal(signal, *args)
                    return True
                except WorkflowGone:
                    return False  # already completed or withdrawn

        outcomes = await asyncio.gather(*(send(p) for p in page))
        return self._out(page, inp.page_size, outcomes)

    def _out(self, page: list[Participant], page_size: int, outcomes: list[bool]) -> FanoutPageOut:
        activity.heartbeat(len(page))
        done = sum(outcomes)
        return FanoutPageOut(
            done=done,
            skipped=len(page) - done,
            next_cursor=page[-1].id if len(page) == page_size else None,
        )


@dataclass(frozen=True)
class _Found:
    event: Event
    calendar: SchoolCalendar
    page: list[Participant]


def _event_and_page(session: Session, inp: FanoutPageIn) -> _Found | None:
    event = session.get(Event, inp.event_id)
    if event is None:
        return None
    school = session.get(School, event.school_id)
    calendar = SchoolCalendar.model_validate_json(school.calendar_json if school else "{}")
    return _Found(event, calendar, _page(session, inp))


def _page(session: Session, inp: FanoutPageIn) -> list[Participant]:
    query = select(Participant).where(
        Participant.event_id == inp.event_id, col(Participant.id) > inp.after_participant_id
    )
    if inp.batch is not None:
        query = query.where(Participant.batch == inp.batch)
    return list(session.exec(query.order_by(col(Participant.id)).limit(inp.page_size)).all())
