"""The worker: runs every workflow and activity of the service on one task queue."""

from __future__ import annotations

import asyncio
import compileall
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from activities.budget import BudgetActivities
from activities.email import EmailActivities
from activities.fanout import FanoutActivities
from activities.records import RecordActivities
from activities.smtp import SmtpSender
from cpd import logs, metrics
from cpd.db import (
    Sessionmaker,
    Transactions,
    create_engine,
    create_sessionmaker,
)
from cpd.names import fanout_queue
from cpd.schema import require_current
from cpd.security import link_signer
from cpd.settings import Settings, get_settings
from cpd.temporal import connect, sdk_metrics_runtime
from cpd.tracing import temporal_interceptors, tracer_provider
from emails.render import EmailRenderer
from services.digest import WeeklyDigest
from services.leader_checks import LeaderChecks
from services.next_year import NextYearDates
from services.support import HelpNotifier
from workflows.fanout import EventFanoutWorkflow
from workflows.participant import ParticipantWorkflow

WORKFLOWS = [ParticipantWorkflow, EventFanoutWorkflow]


class Workers:
    """The two workers of one process, run together: ``async with build_worker(...)``."""

    def __init__(
        self,
        *workers: Worker,
        transactions: Transactions,
        lead_mail: Sequence[LeadMail] = (),
        lead_mail_every: float = 300.0,
    ) -> None:
        self._workers = workers
        self._stack = AsyncExitStack()
        self._tx = transactions
        self._lead_mail = lead_mail
        self._every = lead_mail_every

    async def __aenter__(self) -> Workers:
        # Closed last: the workers' in-flight activities finish before their DB goes.
        self._stack.callback(self._tx.close)
        for worker in self._workers:
            await self._stack.enter_async_context(worker)
        if self._lead_mail:
            mailing = asyncio.create_task(_every(self._every, self._lead_mail))
            self._stack.push_async_callback(_cancelled, mailing)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Both at once: each gives its in-flight activities the grace period, so stopping
        # takes one grace period, not one per worker.
        await asyncio.gather(*(worker.shutdown() for worker in self._workers))
        await self._stack.aclose()


# What the worker sends leaders now and then: each returns the emails it sent.
LeadMail = Callable[[datetime], Awaitable[int]]


async def _every(seconds: float, jobs: Sequence[LeadMail]) -> None:
    """Each job now and then, until cancelled; a failed round is simply tried again: each
    email is claimed before it is sent, and what was not told stays to be told."""
    while True:
        await asyncio.sleep(seconds)
        for job in jobs:
            try:
                await job(datetime.now(UTC))
            except Exception:  # noqa: BLE001 - the next round retries
                logging.exception("emails to leaders failed; will retry")


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


LANES = ("main", "fanout")


def precompile_workflows() -> None:
    """Write the workflow modules' bytecode before the first workflow runs.

    The sandbox imports a workflow's module afresh for every workflow instance it
    creates. Under PYTHONDONTWRITEBYTECODE (the Dockerfile sets it; so do many
    machines) no .pyc is ever written, so each new participant compiled
    workflows/participant.py from source: a third of the cost of its instance in a
    profile of a 5,000-person fan-out. compileall writes the .pyc whatever that
    setting says; where the folder is read-only the Dockerfile has compiled it.
    """
    compileall.compile_dir(Path(__file__).parent.parent / "workflows", quiet=2)


def yield_cpu(settings: Settings, lanes: tuple[str, ...]) -> int:
    """Lower this process's CPU priority if it runs the participants; the new niceness.

    A 5,000-person event's first steps are paced background work; a teacher opening
    an answer link, a leader's status page and the starts of the next event are not.
    On a shared machine this process yields to them (measured in docs/BENCHMARKS.md);
    with cores to spare it costs nothing, since nice only orders who waits for a core.
    """
    return os.nice(settings.worker_nice if "main" in lanes else 0)


def build_worker(
    client: Client,
    settings: Settings,
    sessionmaker: Sessionmaker,
    task_queue: str | None = None,
    lanes: tuple[str, ...] = LANES,
    workflows: Sequence[type] = tuple(WORKFLOWS),
    max_cached_workflows: int | None = None,
) -> Workers:
    """Workers for the given lanes: ``main`` (participants and their activities) and
    ``fanout`` (starting, pausing, withdrawing an event's participants). Both by default;
    a deployment may run the fan-out lane in a process of its own, so starting a
    large event never waits behind the participants it has already started."""
    queue = task_queue or settings.task_queue
    # A stopping worker lets an email half sent finish (the SDK's default is to cancel it
    # at once); the orchestrator's grace period must be longer (docker-compose.yml).
    grace = timedelta(seconds=settings.worker_shutdown_seconds)
    precompile_workflows()
    tx = Transactions(sessionmaker)
    sender = SmtpSender(settings)
    emails = EmailActivities(settings, tx, sender, EmailRenderer(), link_signer(settings))
    records = RecordActivities(tx)
    budget = BudgetActivities(tx, settings.email_budget_per_week)
    fanout = FanoutActivities(
        client,
        tx,
        queue,
        settings.workflow_history_limit,
        settings.send_timeout_seconds,
        begin_per_second=settings.fan_out_begin_per_second,
        burst=settings.fan_out_burst,
    )
    fanout_activities = [
        fanout.start_participant_page,
        fanout.withdraw_participant_page,
        fanout.pause_participant_page,
        fanout.resume_participant_page,
        fanout.recalendar_participant_page,
    ]
    main = Worker(
        client,
        task_queue=queue,
        # The fan-out stays registered here too: ones started before it had its own
        # lane finish where they began.
        workflows=workflows,
        max_cached_workflows=(
            settings.worker_max_cached_workflows
            if max_cached_workflows is None
            else max_cached_workflows
        ),
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        activities=[
            budget.reserve_email,
            emails.send_step_email,
            emails.reserve_send_slot,
            records.project_participant,
            records.record_answer,
            records.school_calendar,
            records.school_calendar_at,
            *fanout_activities,
        ],
        graceful_shutdown_timeout=grace,
    )
    lane = Worker(
        client,
        task_queue=fanout_queue(queue),
        workflows=[EventFanoutWorkflow],
        activities=fanout_activities,
        graceful_shutdown_timeout=grace,
    )
    chosen = (w for name, w in (("main", main), ("fanout", lane)) if name in lanes)
    # The participants' lane emails CPD leads: help requests, level 3 questions, next year's
    # dates, the weekly summary. One process's worth is enough, and several are safe: each
    # email is claimed first.
    lead_mail: list[LeadMail] = []
    if "main" in lanes:
        signer = link_signer(settings)
        lead_mail.append(HelpNotifier(sessionmaker, sender, settings).tell_leads)
        lead_mail.append(WeeklyDigest(sessionmaker, sender, settings, signer).send_due)
        lead_mail.append(LeaderChecks(sessionmaker, sender, settings, signer).send_due)
        lead_mail.append(NextYearDates(sessionmaker, sender, settings).ask_due)
    return Workers(
        *chosen,
        transactions=tx,
        lead_mail=lead_mail,
        lead_mail_every=settings.help_notify_seconds,
    )


async def main(lanes: tuple[str, ...] = LANES) -> None:
    settings = get_settings()
    logs.setup("worker", settings.json_logs)
    niceness = yield_cpu(settings, lanes)
    engine = create_engine(settings.resolved_database_url)
    await require_current(engine)  # `cpd migrate` upgrades it; nothing here does
    metrics.serve(settings.metrics_port)
    client = await connect(
        settings,
        temporal_interceptors(tracer_provider(settings.otel_endpoint, "worker")),
        sdk_metrics_runtime(settings.temporal_metrics_address),
    )
    worker = build_worker(client, settings, create_sessionmaker(engine), lanes=lanes)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.info(
        "worker (%s) polling task queue %s at %s, niceness %d",
        " + ".join(lanes),
        settings.task_queue,
        settings.temporal_address,
        niceness,
    )
    # Graceful stop: in-flight activities finish, then the worker leaves the queue.
    async with worker:
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
