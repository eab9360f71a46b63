"""Start the participant workflows of one event, a page at a time.

The API only records the event and starts one small fan-out workflow, so a
5,000-person INSET is accepted at once; this activity then starts the
participants' workflows concurrently. Starting is idempotent: the workflow
id is the business key, and an already-started id counts as done.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, func, select
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

# Stages whose workflow has finished: nothing to signal.
ENDED = ("completed", "withdrawn")


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
        pace = _Pace(inp, found.total, self._begin_per_second, self._burst, self._concurrency)

        async def start(p: Participant, position: int) -> bool:
            async with gate:
                delay = pace.delay(position)
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
                finally:
                    pace.started()

        outcomes = await asyncio.gather(*(start(p, inp.position + i) for i, p in enumerate(page)))
        return self._out(page, inp.page_size, outcomes)

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


class _Pace:
    """How long each participant waits before its first workflow task.

    Every participant is started at once (durably, visible to leaders), but none
    begins until all of the event's are expected to be started: a participant's first
    step (its database reads and writes, its email) would compete with the starts
    still to make for the Temporal server and the cores, and the mail pace would
    queue its email anyway. That moment is the event's size over the start rate
    measured so far, worked out again at each start; until ``measure_after`` are
    started, the starts are supposed to be as slow as ``begin_per_second`` (on a busy
    server they can be). From then on, beyond a small burst, each begins at its turn
    at ``begin_per_second``, about the pace mail can leave.
    """

    def __init__(
        self, inp: FanoutPageIn, total: int, begin_per_second: float, burst: int, measure_after: int
    ) -> None:
        self._on = begin_per_second > 0 and inp.begun_at is not None
        self._total = total
        self._per_second = begin_per_second
        self._burst = burst
        self._measure_after = measure_after
        self._done = inp.position  # the event's participants started before now
        # By the Temporal server's clock (the test server's may run ahead), then this one's.
        scheduled = activity.info().current_attempt_scheduled_time
        self._elapsed_at_start = (scheduled - (inp.begun_at or scheduled)).total_seconds()
        self._t0 = time.monotonic()

    def started(self) -> None:
        self._done += 1

    def delay(self, position: int) -> timedelta | None:
        if not self._on:
            return None
        elapsed = self._elapsed_at_start + time.monotonic() - self._t0
        measured = self._done >= self._measure_after and elapsed > 0
        rate = self._done / elapsed if measured else self._per_second
        turn = self._total / rate + max(0, position - self._burst) / self._per_second
        return timedelta(seconds=round(turn - elapsed, 3)) if turn > elapsed else None


@dataclass(frozen=True)
class _Found:
    event: Event
    calendar: SchoolCalendar
    page: list[Participant]
    total: int  # participants the whole fan-out starts


def _event_and_page(session: Session, inp: FanoutPageIn) -> _Found | None:
    event = session.get(Event, inp.event_id)
    if event is None:
        return None
    school = session.get(School, event.school_id)
    calendar = SchoolCalendar.model_validate_json(school.calendar_json if school else "{}")
    return _Found(event, calendar, _page(session, inp), _count(session, inp))


def _page(session: Session, inp: FanoutPageIn) -> list[Participant]:
    query = select(Participant).where(col(Participant.id) > inp.after_participant_id)
    if inp.school_id:
        query = query.where(
            Participant.school_id == inp.school_id, col(Participant.stage).not_in(ENDED)
        )
    else:
        query = query.where(Participant.event_id == inp.event_id)
    if inp.batch is not None:
        query = query.where(Participant.batch == inp.batch)
    return list(session.exec(query.order_by(col(Participant.id)).limit(inp.page_size)).all())


def _count(session: Session, inp: FanoutPageIn) -> int:
    query = (
        select(func.count()).select_from(Participant).where(Participant.event_id == inp.event_id)
    )
    if inp.batch is not None:
        query = query.where(Participant.batch == inp.batch)
    return session.exec(query).one()
