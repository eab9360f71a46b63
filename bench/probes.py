"""Cheap probes that say why a run was as fast as it was, measured in the same run.

- ``DbTimings``: how long each SQL statement took on the worker's engine,
  reads apart from writes. SQLite has one writer at a time, so when writes
  take far longer than reads they are queueing for the lock.
- ``LoopLag``: how late a 50 ms sleep wakes up on the event loop that runs
  the worker, the app and the fan-out; a busy loop delays everything in it.
- ``SLOW_TASKS``: workflow tasks the SDK reports as taking over 5 s in the worker.
- ``WorkerTimes``: the SDK's own timings of the workflow tasks and local activities a
  worker ran, read from its metrics, for where a time-skipped year's wall time goes.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy
from sqlalchemy import event
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_HISTOGRAM,
    LogForwardingConfig,
    LoggingConfig,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


@dataclass
class Spread:
    count: int
    mean_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Spread:
        if not seconds:
            return cls(0, 0.0, 0.0)
        ordered = sorted(seconds)
        return cls(
            len(ordered), 1000 * statistics.mean(ordered), 1000 * ordered[int(len(ordered) * 0.95)]
        )


class DbTimings:
    """Every SQL statement this process runs from ``start`` to ``stop``, on any engine: the
    worker's transactions have engines of their own (cpd.db.Transactions), and where the
    app runs here too its statements count as well."""

    def __init__(self) -> None:
        self._reads: list[float] = []
        self._writes: list[float] = []

    def start(self) -> DbTimings:
        event.listen(sqlalchemy.Engine, "before_cursor_execute", self._before)
        event.listen(sqlalchemy.Engine, "after_cursor_execute", self._after)
        return self

    def stop(self) -> DbTimings:
        event.remove(sqlalchemy.Engine, "before_cursor_execute", self._before)
        event.remove(sqlalchemy.Engine, "after_cursor_execute", self._after)
        return self

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        took = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        kind = statement.lstrip().split(None, 1)[0].upper()
        # BEGIN counts as a write: on SQLite a writer's BEGIN IMMEDIATE waits for the lock.
        (self._reads if kind == "SELECT" else self._writes).append(took)

    @property
    def reads(self) -> Spread:
        return Spread.of(self._reads)

    @property
    def writes(self) -> Spread:
        return Spread.of(self._writes)


class LoopLag:
    TICK = 0.05

    def __init__(self) -> None:
        self._late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    async def _watch(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.TICK)
            self._late.append(time.perf_counter() - t0 - self.TICK)

    def stop(self) -> Spread:
        if self._task is not None:
            self._task.cancel()
        return Spread.of(self._late)


class SlowWorkflowTasks(logging.Handler):
    """Counts the SDK's TMPRL1104 warning: a workflow task that took over 5 s in the
    worker (local activities included), and keeps the longest it reported. Fed by the
    forwarded core logs of this process and by the lanes' processes' log lines."""

    DURATION = re.compile(r"workflow_task_duration'?\s*[=:]\s*(\d+)")
    # The core's console log colours its field names: `\x1b[3mworkflow_task_duration\x1b[0m`.
    COLOURS = re.compile(r"\x1b\[[0-9;]*m")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.longest_ms = 0

    def reset(self) -> None:
        self.count, self.longest_ms = 0, 0

    def emit(self, record: logging.LogRecord) -> None:
        self.seen(record.getMessage())

    def seen(self, line: str) -> bool:
        """Count ``line`` if it is a TMPRL1104 warning; whether it was."""
        if "TMPRL1104" not in line:
            return False
        self.count += 1
        found = self.DURATION.search(self.COLOURS.sub("", line))
        if found:
            self.longest_ms = max(self.longest_ms, int(found.group(1)))
        return True


SLOW_TASKS = SlowWorkflowTasks()


def _telemetry(metrics: MetricBuffer | None = None) -> TelemetryConfig:
    logger = logging.getLogger("bench.temporal_core")
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    if SLOW_TASKS not in logger.handlers:
        logger.addHandler(SLOW_TASKS)
    return TelemetryConfig(
        logging=LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=logger),
        ),
        metrics=metrics,
    )


def forward_core_logs() -> None:
    """Send the SDK core's warnings to ``SLOW_TASKS`` instead of the console, where
    thousands of them would bury the benchmark's output. Call before any client exists."""
    Runtime.set_default(Runtime(telemetry=_telemetry()))


@dataclass
class TaskTimes:
    """Seconds a worker spent, by the SDK's own clock, between two reads."""

    workflow_tasks: float = 0.0  # in workflow tasks, their local activities included
    local_activities: dict[str, float] = field(default_factory=dict)  # by activity type
    local_counts: dict[str, int] = field(default_factory=dict)

    @property
    def local_total(self) -> float:
        return sum(self.local_activities.values())


class WorkerTimes:
    """The SDK's timings of the workflow tasks and local activities of the workers whose
    client uses ``runtime``: its metrics kept in memory, not exported. Give the runtime to
    one environment only (a time-skipped year: a few hundred updates), and call ``read``
    between runs, which drains the buffer before it fills."""

    TASK = "temporal_workflow_task_execution_latency"
    LOCAL = "temporal_local_activity_execution_latency"

    def __init__(self) -> None:
        self._buffer = MetricBuffer(100_000, MetricBufferDurationFormat.SECONDS)
        self.runtime = Runtime(telemetry=_telemetry(self._buffer))

    def read(self) -> TaskTimes:
        """What was timed since the last read."""
        times = TaskTimes()
        for update in self._buffer.retrieve_updates():
            if update.metric.kind != BUFFERED_METRIC_KIND_HISTOGRAM:
                continue
            if update.metric.name == self.TASK:
                times.workflow_tasks += update.value
            elif update.metric.name == self.LOCAL:
                kind = str(update.attributes.get("activity_type", "?"))
                times.local_activities[kind] = times.local_activities.get(kind, 0.0) + update.value
                times.local_counts[kind] = times.local_counts.get(kind, 0) + 1
        return times
