"""The participants' worker yields the CPU; the fan-out lane does not.

What an operator sees in ``ps -o ni``: ``cpd worker --lane main`` runs at a
lower priority (CPD_WORKER_NICE, 10 by default), so on a shared machine the
app's pages, the Temporal server and an event's starts come first.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cpd.settings import PROJECT_ROOT
from tests.support.stack import unique


async def niceness_of_worker(
    env: WorkflowEnvironment, tmp_path: Path, database: str, lane: str, **settings: str
) -> int:
    """Start ``cpd worker --lane <lane>``; its niceness once it is polling."""
    environ = {
        **{k: v for k, v in os.environ.items() if k != "CPD_WORKER_NICE"},
        "CPD_ENVIRONMENT": "test",
        "CPD_DATA_DIR": str(tmp_path),
        "CPD_DATABASE_URL": database,
        "CPD_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "CPD_TASK_QUEUE": unique("nice"),
        **{f"CPD_{k.upper()}": v for k, v in settings.items()},
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "run.cli", "worker", "--lane", lane),
        env=environ,
        cwd=PROJECT_ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    assert worker.stderr is not None
    try:
        async with asyncio.timeout(60):
            while b"polling task queue" not in (line := await worker.stderr.readline()):
                assert line, "the worker ended before it polled"
        # Field 19 of /proc/<pid>/stat, after the command name (which may hold spaces).
        stat = Path(f"/proc/{worker.pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[16])
    finally:
        worker.terminate()
        await worker.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
async def test_the_participants_worker_runs_at_a_lower_priority(
    dev_env: WorkflowEnvironment, tmp_path: Path, database_url: str
) -> None:
    ours = os.nice(0)
    nice = lambda lane, **kw: niceness_of_worker(dev_env, tmp_path, database_url, lane, **kw)  # noqa: E731
    assert await nice("main") == min(19, ours + 10)
    assert await nice("fanout") == ours
    assert await nice("main", worker_nice="0") == ours
