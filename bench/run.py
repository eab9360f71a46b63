"""Measure the follow-through workflow and write docs/BENCHMARKS.md.

    .venv/bin/python -m bench.run

One run, about ten minutes on two cores, on servers it starts and throws
away: Temporal's time-skipping test server for one participant's year, then
the Temporal dev server for the raw start rate and a 5,000-participant
fan-out, waiting for every first email. SQLite lives in a temporary
directory; SMTP is aiosmtpd in its own process. Only this benchmark's
section of docs/BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench import fanout, probes, report, variants, year
from bench.sections import write_section
from cpd import temporal_envs as envs

SECTION = "workflow"
SEQUENTIAL_STARTS = 500


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def measure(participants: int, deadline_s: float) -> report.Figures:
    t0 = time.perf_counter()
    facts = report.run_facts()
    with tempfile.TemporaryDirectory(prefix="cpd-bench-") as tmp:
        say("time-skipping server: one participant's year, and a raw year-long sleep")
        async with envs.time_skipping() as env:
            years = await year.measure(env, Path(tmp, "year"))
        say(f"year: {years.median_wall_s:.2f} s (raw {years.median_raw_s:.3f} s)")

        async with envs.dev_server() as env:
            say(f"dev server: raw starts ({participants:,} concurrent, {SEQUENTIAL_STARTS} singly)")
            raw = await fanout.measure_raw(env.client, participants, SEQUENTIAL_STARTS)
            say(f"raw: {raw.concurrent_rate:.0f}/s concurrent, {raw.sequential_rate:.0f}/s singly")

            async def run(
                name: str, client: Client | None = None, deployed: bool = True, **overrides: Any
            ) -> fanout.FanoutFigures:
                # Only the product run as deployed waits for the first emails.
                return await fanout.measure_fanout(
                    env,
                    Path(tmp, name),
                    participants,
                    deadline_s,
                    client,
                    watch_emails=client is None and deployed and not overrides,
                    deployed=deployed,
                    **overrides,
                )

            say("fan-out with the participants held back: the fan-out alone")
            # In this process: the hold is an interceptor on this process's client.
            alone = await run("alone", variants.held_back(env.client), deployed=False)
            say(f"fan-out alone: {alone.start_rate or 0:.0f}/s")
            say(f"fan-out as deployed (waiting at most {deadline_s:.0f} s for the first emails)")
            fan = await run("fanout")
            say(f"fan-out: {fan.started:,} started, {fan.emails:,} first emails delivered")
            say("fan-out as deployed, the worker at normal priority (CPD_WORKER_NICE=0)")
            equal = await run("equal", worker_nice=0)
            say(f"fan-out, worker at normal priority: {equal.start_rate or 0:.0f}/s")
            say("everything in one process (cpd dev)")
            shared = await run("shared", deployed=False)
            say(f"fan-out in one process: {shared.start_rate or 0:.0f}/s")
    minutes, seconds = divmod(round(time.perf_counter() - t0), 60)
    facts["duration"] = f"{minutes} min {seconds:02d} s"
    return report.Figures(facts, years, raw, alone, fan, equal, shared)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=5_000)
    parser.add_argument("--deadline", type=float, default=fanout.DEADLINE_S, metavar="SECONDS")
    parser.add_argument(
        "--no-write", action="store_true", help="print the section instead of writing the file"
    )
    args = parser.parse_args()
    # Cancelled activities at worker shutdown log warnings with tracebacks: noise here.
    logging.basicConfig(level=logging.ERROR)
    # So does SQLAlchemy, resetting the connections those cancelled activities held.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    probes.forward_core_logs()

    async def run() -> report.Figures:
        # SIGTERM cancels like Ctrl-C does, so the servers and the SMTP process are stopped.
        task = asyncio.current_task()
        assert task is not None

        def stop() -> None:
            say("SIGTERM: stopping")
            task.cancel()

        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop)
        return await measure(args.participants, args.deadline)

    figures = asyncio.run(run())
    section = report.render(figures)
    if args.no_write:
        print(section)
    else:
        write_section(SECTION, section)
        say(f"wrote the {SECTION!r} section of docs/BENCHMARKS.md")
    print(report.summary(figures))


if __name__ == "__main__":
    main()
