"""The Temporal dev server as a process of its own, persisting to a SQLite file, that a
test may stop (SIGTERM or SIGKILL) and start again on the same port and file.

The session's ``dev_env`` (devtools/temporal_envs.py) keeps its state in memory and is
shared by every test; this one is a test's own, so stopping it harms no other test.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from cpd.names import SEARCH_ATTRIBUTES
from devtools import servers
from tests.support.inbox import free_port


class DevServer:
    def __init__(self, folder: Path, *, persist: bool = True) -> None:
        # In memory unless it must survive a restart: a file costs the server more CPU.
        self.db_file = folder / "temporal.db" if persist else None
        self.log = folder / "temporal.log"
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 90) -> None:
        """Start it (again) and return once its default namespace answers."""
        cli = servers.temporal_cli()
        if cli is None:
            raise RuntimeError("no temporal CLI: devtools/servers.py could not build one")
        self._process = self._spawn(cli)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = await Client.connect(self.address)
                request = DescribeNamespaceRequest(namespace=client.namespace)
                await client.workflow_service.describe_namespace(request)
                return
            except Exception:  # noqa: BLE001 - not up yet
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dev server did not start; see {self.log}") from None
                await asyncio.sleep(0.3)

    def _spawn(self, cli: Path) -> subprocess.Popen[bytes]:
        attributes = [f"--search-attribute={k.name}=Keyword" for k in SEARCH_ATTRIBUTES]
        return subprocess.Popen(  # noqa: S603
            [
                str(cli),
                "server",
                "start-dev",
                *(["--db-filename", str(self.db_file)] if self.db_file else []),
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--headless",
                "--log-level",
                "error",
                *attributes,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        """SIGTERM: it shuts down in order; SIGKILL: it dies mid-write, as on a power cut."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
