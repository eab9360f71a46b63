"""The fan-out on the production topology: Temporal's own server on PostgreSQL (SQL
visibility), the app on PostgreSQL, each worker lane in a process of its own.

Beside the dev-server rows of docs/BENCHMARKS.md: the same measure (bench/fanout.py),
raw starts on the same server first. Needs Go (the server build, cached in .cache/bin)
and PostgreSQL (devtools/postgres.py).

    .venv/bin/python -m bench.topology --participants 5000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from bench import fanout, probes
from bench.stack import CONVERTER
from devtools import servers
from devtools.postgres import start_postgres
from devtools.temporal_server import Login, temporal_server


@dataclass
class ProductionServer:
    """The production server, as bench/fanout.py's ``Server``: its clock is the wall's."""

    client: Client

    async def get_current_time(self) -> datetime:
        return datetime.now(UTC)


async def measure(
    participants: int, deadline_s: float
) -> tuple[fanout.RawFigures, fanout.FanoutFigures]:
    programs = servers.production_temporal()
    if programs is None:
        raise SystemExit("no temporal-server build: Go is needed (devtools/servers.py)")
    folder = Path(tempfile.mkdtemp(prefix="cpd-bench-topology-"))
    postgres = start_postgres(folder / "postgres")
    try:
        login = Login.of_url(postgres.url("postgres"))
        async with temporal_server(programs, folder / "temporal", login) as temporal:
            client = await Client.connect(temporal.address, data_converter=CONVERTER)
            raw = await fanout.measure_raw(client, participants, 0)
            print(f"[bench] raw starts: {raw.concurrent_rate:.0f}/s", file=sys.stderr)
            postgres.create_database("cpd_bench")
            fan = await fanout.measure_fanout(
                ProductionServer(client),
                folder / "app",
                participants,
                deadline_s,
                watch_emails=True,
                deployed=True,
                database_url=postgres.url("cpd_bench"),
            )
            return raw, fan
    finally:
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=5_000)
    parser.add_argument("--deadline", type=float, default=fanout.DEADLINE_S, metavar="SECONDS")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    probes.forward_core_logs()
    raw, fan = asyncio.run(measure(args.participants, args.deadline))
    half = f"{fan.half_emails_s:.0f} s" if fan.half_emails_s else "not by the deadline"
    every = f"{fan.all_emails_s:.0f} s" if fan.all_emails_s else "not by the deadline"
    rate = fan.start_rate or 0.0
    print(
        f"| Production topology ({args.participants:,}) | {raw.concurrent_rate:.0f} /s "
        f"| {rate:.0f} /s | {rate / raw.concurrent_rate:.2f} | {half} | {every} "
        f"| {fan.emails:,} emails to {fan.distinct_recipients:,} addresses |"
    )


if __name__ == "__main__":
    main()
