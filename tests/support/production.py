"""The production topology as a test sees it: the servers of the session, and one
deployment of the app on them (``deployed`` in tests/production/conftest.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

from temporalio.client import Client

from devtools.postgres import PostgresServer
from devtools.temporal_server import TemporalServer
from tests.support.databases import PostgresDatabases
from tests.support.processes import start_worker
from tests.support.stack import Stack


@dataclass
class Production:
    postgres: PostgresServer
    temporal: TemporalServer
    client: Client
    databases: PostgresDatabases  # the app's, one per test, with their tables


@dataclass
class Deployment:
    """The app as deployed on the production servers, for one test."""

    stack: Stack
    production: Production
    logs: Path
    workers: list[Popen[bytes]] = field(default_factory=list)
    inbound: Popen[bytes] | None = None

    def start_worker(self, **overrides: object) -> Popen[bytes]:
        worker = start_worker(
            self.stack.settings, self.logs / f"worker-{len(self.workers)}.log", **overrides
        )
        self.workers.append(worker)
        return worker

    async def polling(self, timeout: float = 120) -> None:
        """Until every worker started so far polls its queue. A test that triggers before
        then may have one worker take everything (on a cold machine a process takes a
        while to import), and a test about two workers would test one."""
        deadline = time.monotonic() + timeout
        for n, worker in enumerate(self.workers):
            log = self.logs / f"worker-{n}.log"
            while "polling task queue" not in (log.read_text() if log.exists() else ""):
                assert worker.poll() is None, f"worker {n} ended: see {log}"
                assert time.monotonic() < deadline, f"worker {n} never polled: see {log}"
                await asyncio.sleep(0.2)


DeploymentFactory = Callable[..., AbstractAsyncContextManager[Deployment]]
