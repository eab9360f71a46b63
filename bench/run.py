"""Measure the follow-through workflow and write docs/BENCHMARKS.md.

    .venv/bin/python -m bench.run

One run, about twelve minutes on two cores, on servers it starts and throws
away: Temporal's time-skipping test server for one participant's year, then,
for each way of running a 5,000-participant fan-out, a fresh Temporal dev
server for the raw start rate and that fan-out (as deployed, waiting for
every first email). SQLite lives in a temporary
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

from bench import fanout, probes, report, variants, year
from bench.sections import write_section
from bench.stack import CONVERTER
from devtools import temporal_envs as envs

SECTION = "workflow"
SEQUENTIAL_STARTS = 500


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def measure(participants: int, deadline_s: float) -> report.Figures:
    t0 = time.perf_counter()
    facts = report.run_facts()
    with tempfile.TemporaryDirectory(prefix="cpd-bench-") as tmp:
        say("time-skipping server: one participant's year, and a raw year-long sleep")
        times = probes.WorkerTimes()
        async with envs.time_skipping(CONVERTER, times.runtime) as env:
            years = await year.measure(env, Path(tmp, "year"), times=times)
        say(f"year: {years.median_wall_s:.2f} s (raw {years.median_raw_s:.3f} s)")

        raws: dict[str, fanout.RawFigures] = {}

        async def on_fresh_server(
            name: str, hold: bool = False, deployed: bool = True, **overrides: Any
        ) -> fanout.FanoutFigures:
            """One fan-out on a dev server of its own, right after a raw loop on it.

            A server that has already taken earlier runs' workflows starts more slowly
            (by hand: raw 379 /s fresh, 294 /s after two fan-outs), so each variant is
            compared with raw starts on the same server in the same state.
            """
            async with envs.dev_server(CONVERTER) as env:
                sequential = SEQUENTIAL_STARTS if name == "fanout" else 0
                raw = raws[name] = await fanout.measure_raw(env.client, participants, sequential)
                say(f"{name}: fresh dev server, raw {raw.concurrent_rate:.0f}/s")
                # The hold is an interceptor on this process's client: in-process only.
                client = variants.held_back(env.client) if hold else None
                # Only the product run as deployed waits for the first emails.
                return await fanout.measure_fanout(
                    env,
                    Path(tmp, name),
                    participants,
                    deadline_s,
                    client,
                    watch_emails=not hold and deployed and not overrides,
                    deployed=deployed,
                    **overrides,
                )

        say("fan-out with the participants held back: the fan-out alone")
        alone = await on_fresh_server("alone", hold=True, deployed=False)
        say(f"fan-out alone: {alone.start_rate or 0:.0f}/s")
        say(f"fan-out as deployed (waiting at most {deadline_s:.0f} s for the first emails)")
        fan = await on_fresh_server("fanout")
        say(f"fan-out: {fan.started:,} started, {fan.emails:,} first emails delivered")
        say("fan-out as deployed, the worker at normal priority (CPD_WORKER_NICE=0)")
        equal = await on_fresh_server("equal", worker_nice=0)
        say(f"fan-out, worker at normal priority: {equal.start_rate or 0:.0f}/s")
        say("everything in one process (cpd dev)")
        shared = await on_fresh_server("shared", deployed=False)
        say(f"fan-out in one process: {shared.start_rate or 0:.0f}/s")
    minutes, seconds = divmod(round(time.perf_counter() - t0), 60)
    facts["duration"] = f"{minutes} min {seconds:02d} s"
    return report.Figures(facts, years, raws, alone, fan, equal, shared)


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
