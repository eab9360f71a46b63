"""The participants' worker's memory with 10,000 sleeping follow-throughs.

    .venv/bin/python -m bench.memory

For each sticky-cache size (``CPD_WORKER_MAX_CACHED_WORKFLOWS``), on a fresh Temporal
dev server: the app in this process, each worker lane in a process of its own
(``cpd worker --lane main``, ``--lane fanout``, as docker-compose runs them), SQLite in
a temporary directory. Three events of 1,000, 4,000 and 5,000 teachers, dated eight
weeks ahead, are triggered one after another through ``POST /v1/events``: each
participant's first workflow task records it as waiting and sets the timer for its
action plan, and then it sleeps. The participants' worker's memory (RSS, PSS, USS from
/proc) is read at rest: after start, and once every participant so far is asleep.

Then what the cache trades: the leaders' live view of one teacher (a Query) for the
first 100 teachers, who have slept longest (out of the cache unless it holds them all:
the worker rebuilds each from its history), and again for the same 100 (now cached).
Only this benchmark's section of docs/BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from bench import memory_report
from bench.cpu import _children
from bench.report import run_facts
from bench.sections import write_section
from bench.smtp_sink import _free_port
from bench.stack import CONVERTER, Stack, app_stack, event_body
from cpd.models import Participant
from cpd.settings import Settings
from devtools import temporal_envs as envs

SECTION = "memory"
SHARES = (0.1, 0.4, 0.5)  # of the participants, one event each: 1,000, 4,000, 5,000 of 10,000
AHEAD = timedelta(weeks=8)  # the event's date: every first step is weeks away
ASLEEP_WAIT_S = 900.0  # at most, per event
QUERIED = 100
MIB = 1024 * 1024


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Memory:
    rss: int  # bytes resident
    pss: int  # resident, shared pages divided among the processes sharing them
    uss: int  # resident and this process's alone

    @classmethod
    def of(cls, pid: int) -> Memory:
        kb: dict[str, int] = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value, *_ = line.split()
            kb[name.rstrip(":")] = int(value)
        private = kb["Private_Clean"] + kb["Private_Dirty"]
        return cls(kb["Rss"] * 1024, kb["Pss"] * 1024, private * 1024)


@dataclass
class Point:
    asleep: int  # participants asleep when measured
    memory: Memory
    took_s: float  # from the POST to the last of them asleep


@dataclass
class Latency:
    median_ms: float
    p95_ms: float
    failed: int

    @classmethod
    def of(cls, seconds: list[float], failed: int) -> Latency:
        if not seconds:
            return cls(0.0, 0.0, failed)
        ordered = sorted(seconds)
        p95 = ordered[int(len(ordered) * 0.95)]
        return cls(1000 * statistics.median(ordered), 1000 * p95, failed)


@dataclass
class Run:
    cache: int
    at_start: Memory
    points: list[Point] = field(default_factory=list)
    first_query: Latency | None = None  # the longest asleep: not cached unless all are
    second_query: Latency | None = None  # the same teachers again
    history_events: int = 0  # of one sleeping participant


def _lane_pid(lane: str) -> int:
    return next(pid for pid, command in _children().items() if f"--lane {lane}" in command)


async def _settled(pid: int, limit_s: float = 30.0) -> Memory:
    """The worker's memory once it holds still (within 1 MiB for three seconds)."""
    samples = [Memory.of(pid)]
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        samples.append(Memory.of(pid))
        recent = [m.rss for m in samples[-4:]]
        if len(recent) == 4 and max(recent) - min(recent) < MIB:
            break
    return samples[-1]


async def _asleep(client: Client, event_id: str) -> int:
    # The stage search attribute is set by the commands of a completed workflow task (its
    # timer with it); the app's projection row is written earlier, inside the task, so it
    # would count one whose task then failed or timed out.
    query = f'CpdEventId = "{event_id}" AND CpdStage = "waiting"'
    return (await client.count_workflows(query)).count


async def _until_asleep(client: Client, event_id: str, expected: int) -> int:
    deadline = time.monotonic() + ASLEEP_WAIT_S
    while (count := await _asleep(client, event_id)) < expected and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
    return count


async def _query_times(client: Client, workflow_ids: list[str]) -> tuple[list[float], int]:
    """Each teacher's live view in turn, as a leader opening their page would ask; the
    times of those answered, and how many failed (on a starved machine a replay can
    outlast the SDK's 2 s deadlock detector)."""
    times, failed = [], 0
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        t0 = time.perf_counter()
        try:
            await handle.query("timeline")
        except (WorkflowQueryFailedError, RPCError):
            failed += 1
            continue
        times.append(time.perf_counter() - t0)
    return times, failed


async def _first_ids(stack: Stack, event_id: str) -> list[str]:
    query = (
        select(Participant.workflow_id)
        .where(col(Participant.event_id) == event_id)
        .order_by(col(Participant.id))
        .limit(QUERIED)
    )
    async with stack.db() as session:
        return list((await session.exec(query)).all())


async def measure_cache(data_dir: Path, participants: int, cache: int) -> Run:
    async with (
        envs.dev_server(CONVERTER) as env,
        app_stack(
            env.client,
            data_dir,
            # No email is due for weeks: a port nothing listens on, so none could leave.
            _free_port(),
            deployed=True,
            worker_max_cached_workflows=cache,
            # Nothing is due for weeks, so there is no mail to pace the first steps by.
            fan_out_begin_per_second=0,
            # What it holds does not depend on its priority, and on a shared machine a
            # niced worker's first steps take far longer to get through.
            worker_nice=0,
        ) as stack,
    ):
        pid = _lane_pid("main")
        run = Run(cache, await _settled(pid))
        say(f"cache {cache}: worker at start {run.at_start.rss / MIB:.0f} MiB RSS")
        today = (await env.get_current_time()).date()
        events, asleep = [], 0
        for i, share in enumerate(SHARES):
            size = round(participants * share)
            body = event_body(size, today + AHEAD, f"m{i}")
            t0 = time.perf_counter()
            _, event_id = await stack.trigger(body)
            events.append(event_id)
            asleep += await _until_asleep(env.client, event_id, size)
            point = Point(asleep, await _settled(pid), time.perf_counter() - t0)
            run.points.append(point)
            say(f"cache {cache}: {asleep:,} asleep, {point.memory.rss / MIB:.0f} MiB RSS")
        oldest = await _first_ids(stack, events[0])
        run.first_query = Latency.of(*await _query_times(env.client, oldest))
        run.second_query = Latency.of(*await _query_times(env.client, oldest))
        handle = env.client.get_workflow_handle(oldest[0])
        run.history_events = len([e async for e in handle.fetch_history_events()])
    return run


async def measure(participants: int, caches: list[int], write: bool) -> memory_report.Figures:
    """Each cache size in turn; the section is rewritten after each, so a long run that is
    stopped still leaves what it measured."""
    facts = run_facts()
    t0 = time.perf_counter()
    figures = memory_report.Figures(facts, participants, [], Settings().worker_max_cached_workflows)
    with tempfile.TemporaryDirectory(prefix="cpd-bench-memory-") as tmp:
        for cache in caches:
            run = await measure_cache(Path(tmp, f"cache-{cache}"), participants, cache)
            figures.runs.append(run)
            minutes, seconds = divmod(round(time.perf_counter() - t0), 60)
            facts["duration"] = f"{minutes} min {seconds:02d} s"
            if write:
                write_section(SECTION, memory_report.render(figures))
                say(f"wrote the {SECTION!r} section of docs/BENCHMARKS.md")
    return figures


def main() -> None:
    default = Settings().worker_max_cached_workflows
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument(
        "--caches",
        default=f"{default},1000" if default != 1000 else "1000",
        help="sticky-cache sizes to measure, comma separated",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the section instead of writing the file"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    caches = [int(c) for c in args.caches.split(",")]

    async def run() -> memory_report.Figures:
        # SIGTERM cancels like Ctrl-C does, so the servers and the worker processes stop.
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await measure(args.participants, caches, write=not args.no_write)

    figures = asyncio.run(run())
    if args.no_write:
        print(memory_report.render(figures))
    say(memory_report.summary(figures))


if __name__ == "__main__":
    main()
