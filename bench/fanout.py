"""Benchmark 2: a 5,000-participant event on the Temporal dev server.

The product path: POST /v1/events (the app stores the event and its
participant rows, then starts one fan-out workflow); the fan-out's activity
starts the participant workflows 64 at a time, a page of 500 after another;
each participant sends its first email (the action plan, already due) to a
real SMTP server. The app runs in this process and each worker lane in one of
its own (``cpd worker --lane main``, ``cpd worker --lane fanout``), as
docker-compose deploys them; ``deployed=False`` runs all in this one process,
as ``cpd dev`` does. The worker runs the participants already started while
the fan-out is still starting the rest.

The raw baseline starts no-op workflows from the same client at the same
concurrency on the same server, with a worker completing them meanwhile.

When each participant started is read back from the server (visibility)
after the run, so watching costs nothing while it runs; the fan-out
workflow's own completion is reported separately, because it can finish
well after its last start when the task queue is busy.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench.cpu import CpuMeter, CpuShare
from bench.noop import NoopWorkflow
from bench.probes import SLOW_TASKS, DbTimings, LoopLag, Spread
from bench.smtp_sink import SmtpSink
from bench.stack import app_stack, event_body
from cpd.calendar import SchoolCalendar
from cpd.names import fanout_workflow_id

CONCURRENCY = 64  # FanoutActivities' default: the same number of starts in flight
# Stop waiting for starts and first emails this long after the POST. At the default mail
# rate of 20 a second, 5,000 first emails take 250 s at the least.
DEADLINE_S = 420.0


@dataclass
class RawFigures:
    concurrent_n: int
    concurrent_s: float
    sequential_n: int
    sequential_s: float
    cpu: list[CpuShare]  # during the concurrent starts

    @property
    def concurrent_rate(self) -> float:
        return self.concurrent_n / self.concurrent_s

    @property
    def sequential_rate(self) -> float:
        return self.sequential_n / self.sequential_s


@dataclass
class PageTimes:
    """Where the fan-out workflow's time went, from its history."""

    pages: int  # page activities that ran
    in_pages_s: float  # inside the page activities: starting workflows
    between_pages_s: float  # everything else: queued behind other tasks, workflow tasks
    # Its workflow tasks that timed out: never picked up within the sticky queue's
    # 10 s (schedule-to-start: queued behind others), or picked up and not finished.
    waiting_timeouts: int
    running_timeouts: int

    @property
    def stalled(self) -> bool:
        return self.waiting_timeouts + self.running_timeouts > 0 or (
            self.between_pages_s > self.in_pages_s
        )


@dataclass
class FanoutFigures:
    participants: int
    deadline_s: float
    accepted_s: float  # POST sent -> 201
    started: int  # participant workflows on the server (visibility)
    last_start_s: float | None  # POST sent -> the last participant's start time
    fanout_done_s: float | None  # POST sent -> the fan-out workflow's result; None: not by then
    fanout_result: int | None  # how many the fan-out says it started
    first_email_s: float | None
    half_emails_s: float | None
    all_emails_s: float | None  # None: not all by the deadline
    emails: int  # messages at the SMTP server when we stopped waiting (watched or not)
    distinct_recipients: int
    waited_s: float  # POST sent -> when we stopped waiting
    pages: PageTimes
    cpu: list[CpuShare]  # from the POST until the wait ended
    cpu_starting: list[CpuShare]  # from the POST until the fan-out returned (or the wait ended)
    # In this process only: meaningful where the worker runs in it (not ``deployed``).
    db_reads: Spread  # this process's SQL statements during the wait
    db_writes: Spread
    loop_lag: Spread
    slow_tasks: int  # workflow tasks over 5 s in the worker (the SDK's TMPRL1104)
    longest_task_ms: int  # the longest of those the SDK reported (0: none over 5 s)

    @property
    def start_rate(self) -> float | None:
        return self.started / self.last_start_s if self.last_start_s else None

    @property
    def email_rate(self) -> float:
        """Emails a second from the first one to the last one we saw."""
        end = self.all_emails_s or self.waited_s
        span = end - (self.first_email_s or 0)
        return (self.emails - 1) / span if self.emails > 1 and span > 0 else 0.0


async def measure_raw(client: Client, n: int, sequential: int) -> RawFigures:
    queue = f"bench-noop-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Semaphore(CONCURRENCY)

    async def start(i: int) -> None:
        async with gate:
            await client.start_workflow(NoopWorkflow.run, id=f"{queue}-c{i}", task_queue=queue)

    async with Worker(client, task_queue=queue, workflows=[NoopWorkflow]):
        meter = CpuMeter().start()
        t0 = time.perf_counter()
        await asyncio.gather(*(start(i) for i in range(n)))
        concurrent_s = time.perf_counter() - t0
        cpu = meter.stop()

        t0 = time.perf_counter()
        for i in range(sequential):
            await client.start_workflow(NoopWorkflow.run, id=f"{queue}-s{i}", task_queue=queue)
        sequential_s = time.perf_counter() - t0
        # Let the worker finish them, so nothing is left running on the server.
        await _until_none_running(client, f'TaskQueue = "{queue}"')
    return RawFigures(n, concurrent_s, sequential, sequential_s, cpu)


async def _until_none_running(client: Client, query: str, timeout: float = 60) -> None:
    running = f'{query} AND ExecutionStatus = "Running"'
    deadline = time.monotonic() + timeout
    while (await client.count_workflows(running)).count and time.monotonic() < deadline:
        await asyncio.sleep(0.5)


class Server(Protocol):
    """What a fan-out needs of a Temporal server: a client, and its clock. A test
    server (WorkflowEnvironment) is one; so is bench/topology.py's production server."""

    @property
    def client(self) -> Client: ...

    async def get_current_time(self) -> datetime: ...


async def measure_fanout(
    env: Server,
    data_dir: Path,
    participants: int,
    deadline_s: float = DEADLINE_S,
    client: Client | None = None,
    watch_emails: bool = True,
    deployed: bool = False,
    **overrides: Any,
) -> FanoutFigures:
    """The product's fan-out; ``client`` (one of bench.variants) changes how participants
    start, and without ``watch_emails`` the wait ends when the fan-out returns."""
    client = client or env.client
    sink = SmtpSink().start()
    try:
        async with app_stack(
            client,
            data_dir,
            sink.port,
            # Open all hours, and the event was yesterday: every action plan is due now.
            SchoolCalendar.always_open(),
            deployed,
            # A teacher gets one email here; the budget must not be what holds it back.
            email_budget_per_week=10,
            **overrides,
        ) as stack:
            today = (await env.get_current_time()).date()
            body = event_body(participants, today - timedelta(days=1), "fanout")

            meter, db, lag = CpuMeter().start(), DbTimings().start(), LoopLag().start()
            starting = CpuMeter().start()
            SLOW_TASKS.reset()
            t0_wall, t0 = time.time(), time.perf_counter()
            _, event_id = await stack.trigger(body)
            accepted = time.perf_counter() - t0
            handle = client.get_workflow_handle(fanout_workflow_id(event_id), result_type=int)
            fanout = asyncio.create_task(_timed(handle.result(), t0))
            # Stopped when the fan-out returns; if it has not by the end of the wait, then.
            cpu_starting: list[CpuShare] = []
            fanout.add_done_callback(
                lambda task: None if task.cancelled() else cpu_starting.extend(starting.stop())
            )
            first = half = everyone = None
            if watch_emails:
                first, half, everyone = await _watch_inbox(sink, participants, t0, deadline_s)
            # Give the fan-out's own completion the rest of the deadline.
            left = max(0.0, deadline_s - (time.perf_counter() - t0))
            done, _ = await asyncio.wait({fanout}, timeout=left)
            waited = time.perf_counter() - t0
            fanout_done, fanout_result = fanout.result() if done else (None, None)
            fanout.cancel()
            if not cpu_starting:
                cpu_starting.extend(starting.stop())
            cpu, loop_lag = meter.stop(), lag.stop()
            slow, longest = SLOW_TASKS.count, SLOW_TASKS.longest_ms
            db.stop()
            emails, distinct = sink.total, sink.distinct
            started, last_start = await _starts(client, event_id, t0_wall)
            pages = await _page_times(handle)
    finally:
        sink.stop()
    return FanoutFigures(
        participants=participants,
        deadline_s=deadline_s,
        accepted_s=accepted,
        started=started,
        last_start_s=last_start,
        fanout_done_s=fanout_done,
        fanout_result=fanout_result,
        first_email_s=first,
        half_emails_s=half,
        all_emails_s=everyone,
        emails=emails,
        distinct_recipients=distinct,
        waited_s=waited,
        pages=pages,
        cpu=cpu,
        cpu_starting=cpu_starting,
        db_reads=db.reads,
        db_writes=db.writes,
        loop_lag=loop_lag,
        slow_tasks=slow,
        longest_task_ms=longest,
    )


async def _timed(result: Awaitable[int], t0: float) -> tuple[float, int]:
    value = await result
    return time.perf_counter() - t0, value


async def _page_times(handle: WorkflowHandle[Any, int]) -> PageTimes:
    # The latest run's history: 5,000 participants are 11 pages, under the 20 a run
    # takes before it continues as new.
    started_at: dict[int, datetime] = {}
    in_pages = 0.0
    pages = waiting = running = 0
    events = [e async for e in handle.fetch_history_events()]
    for e in events:
        at = e.event_time.ToDatetime()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started_at[e.activity_task_started_event_attributes.scheduled_event_id] = at
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs = e.activity_task_completed_event_attributes
            in_pages += (at - started_at[attrs.scheduled_event_id]).total_seconds()
            pages += 1
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            kind = e.workflow_task_timed_out_event_attributes.timeout_type
            if kind == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
                waiting += 1
            else:
                running += 1
    span = (events[-1].event_time.ToDatetime() - events[0].event_time.ToDatetime()).total_seconds()
    return PageTimes(pages, in_pages, span - in_pages, waiting, running)


async def _starts(client: Client, event_id: str, t0_wall: float) -> tuple[int, float | None]:
    """How many participants the server has for the event, and when the last one started
    (seconds after ``t0_wall``; the server shares this machine's clock).

    Visibility trails the starts by a moment, so wait until its count holds still.
    """
    query = f'WorkflowType = "ParticipantWorkflow" AND CpdEventId = "{event_id}"'
    count, deadline = -1, time.monotonic() + 15
    while time.monotonic() < deadline:
        latest = (await client.count_workflows(query, rpc_timeout=timedelta(seconds=60))).count
        if latest == count:
            break
        count = latest
        await asyncio.sleep(1.0)
    # A generous timeout: on a busy machine the visibility store answers slowly.
    listing = client.list_workflows(query, rpc_timeout=timedelta(seconds=120))
    times = [w.start_time.timestamp() async for w in listing]
    return len(times), (max(times) - t0_wall if times else None)


async def _watch_inbox(
    sink: SmtpSink, expected: int, t0: float, deadline_s: float
) -> tuple[float | None, float | None, float | None]:
    """Seconds from t0 to the first, the half-way and the last expected message."""
    first = half = None
    while (now := time.perf_counter() - t0) < deadline_s:
        count = sink.total
        if count and first is None:
            first = now
        if count * 2 >= expected and half is None:
            half = now
        if count >= expected:
            return first, half, now
        await asyncio.sleep(0.05)
    return first, half, None
