"""Benchmark 1: one participant's year on Temporal's time-skipping test server.

Drive it the simplest way: trigger through the API, then ``env.sleep`` past
the end of the plan. The test server skips time whenever no workflow task or
activity is outstanding, so the wall time is what the year's real work costs:
workflow tasks, activities (SQLite, SMTP) and their round trips. The baseline
is one workflow that sleeps a year, driven the same way on the same server; a second
sleeps it in as many timers as the participant's year set, so each of its wakes is a
workflow task that does nothing.

(Awaiting a result only skips time for a handle returned by ``start_workflow``
on the environment's client; the participant is started by the fan-out
activity, so awaiting its handle would wait in real time.)
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.noop import YearOfWakeupsWorkflow
from bench.probes import TaskTimes, WorkerTimes
from bench.smtp_sink import SmtpSink
from bench.stack import Stack, app_stack, event_body
from cpd.models import Participant
from cpd.names import fanout_workflow_id
from workflows.types import ParticipantOutcome

# Past the default plan's last step (day 365) and its answer window, with a margin.
SPAN = timedelta(days=400)
EXTRA_MONTHS = 4


@dataclass
class YearRun:
    wall_s: float
    emails: int
    days_skipped: float
    stage: str
    activities: int  # ordinary ones: each a server round trip of its own
    local_activities: int  # run inside a workflow task, recorded as a marker
    timers: int
    workflow_tasks: int
    # The worker's time in them, by the SDK's clock (empty when not measured).
    times: TaskTimes = field(default_factory=TaskTimes)


@dataclass
class YearFigures:
    runs: list[YearRun]
    raw_wall_s: list[float]
    # The same year slept in as many timers as a participant's year sets.
    wakeups_wall_s: list[float]

    @property
    def median_wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def median_raw_s(self) -> float:
        return statistics.median(self.raw_wall_s)

    @property
    def median_wakeups_s(self) -> float:
        return statistics.median(self.wakeups_wall_s)

    @property
    def ratio(self) -> float:
        return self.median_wall_s / self.median_raw_s

    @property
    def wakeups_ratio(self) -> float:
        return self.median_wall_s / self.median_wakeups_s


async def raw_years(env: WorkflowEnvironment, runs: int, wakeups: int = 1) -> list[float]:
    """Wall seconds for a workflow that only sleeps 365 days, ``runs`` times: in one timer,
    or in ``wakeups`` equal ones."""
    queue = f"bench-year-{uuid.uuid4().hex[:8]}"
    walls = []
    async with Worker(env.client, task_queue=queue, workflows=[YearOfWakeupsWorkflow]):
        for _ in range(runs):
            t0 = time.perf_counter()
            handle = await env.client.start_workflow(
                YearOfWakeupsWorkflow.run,
                wakeups,
                id=f"{queue}-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            await env.sleep(SPAN)
            await handle.result()
            walls.append(time.perf_counter() - t0)
    return walls


async def participant_years(
    env: WorkflowEnvironment, data_dir: Path, runs: int, times: WorkerTimes | None = None
) -> list[YearRun]:
    """``times``: the timings of the runtime ``env``'s client was made with, if any."""
    sink = SmtpSink().start()
    results = []
    try:
        # A budget above the plan's busiest week, so no send is deferred by it.
        async with app_stack(
            env.client, data_dir, sink.port, clock=env.get_current_time, email_budget_per_week=10
        ) as stack:
            for i in range(runs):
                if times is not None:
                    times.read()  # what ran before this year is not its own
                run = await _one_year(env, stack, sink, tag=f"year{i}")
                if times is not None:
                    run.times = times.read()
                results.append(run)
    finally:
        sink.stop()
    return results


async def _one_year(env: WorkflowEnvironment, stack: Stack, sink: SmtpSink, tag: str) -> YearRun:
    server_start = await env.get_current_time()
    emails_before = sink.total
    # The default calendar (London, Monday to Friday, 07:30-17:30) and the API's default
    # plan; the event is tomorrow, so the whole year is ahead of the workflow.
    body = event_body(1, server_start.date() + timedelta(days=1), tag)

    t0 = time.perf_counter()
    _, event_id = await stack.trigger(body)
    await env.client.get_workflow_handle(fanout_workflow_id(event_id)).result()
    handle = env.client.get_workflow_handle(
        await _workflow_id(stack, event_id), result_type=ParticipantOutcome
    )
    await env.sleep(SPAN)
    # Holidays can push the last answer window past SPAN (a December event's closing
    # reflection falls in the next Christmas break): a month more at a time until it ends.
    for _ in range(EXTRA_MONTHS):
        if (await handle.describe()).close_time is not None:
            break
        await env.sleep(timedelta(days=30))
    wall = time.perf_counter() - t0
    if (await handle.describe()).close_time is None:
        raise RuntimeError(f"the participant had not finished after {SPAN.days} days and more")
    outcome = await handle.result()
    history = await handle.fetch_history()
    kinds = Counter(e.event_type for e in history.events)
    skipped = (await env.get_current_time()) - server_start
    return YearRun(
        wall_s=wall,
        emails=sink.total - emails_before,
        days_skipped=skipped.total_seconds() / 86400,
        stage=outcome.stage,
        activities=kinds[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
        local_activities=sum(
            e.marker_recorded_event_attributes.marker_name == "core_local_activity"
            for e in history.events
        ),
        timers=kinds[EventType.EVENT_TYPE_TIMER_STARTED],
        workflow_tasks=kinds[EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED],
    )


async def _workflow_id(stack: Stack, event_id: str) -> str:
    # The app's own record of the one participant (the workflow id is its business key).
    async with stack.db() as session:
        query = select(Participant.workflow_id).where(Participant.event_id == event_id)
        return (await session.exec(query)).one()


async def measure(
    env: WorkflowEnvironment, data_dir: Path, runs: int = 3, times: WorkerTimes | None = None
) -> YearFigures:
    raw = await raw_years(env, runs)
    years = await participant_years(env, data_dir, runs, times)
    wakeups = await raw_years(env, runs, wakeups=max(1, years[0].timers))
    return YearFigures(runs=years, raw_wall_s=raw, wakeups_wall_s=wakeups)
