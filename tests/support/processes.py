"""The service's programs as real processes: workers and the reply server, as deployed.

Each gets the test's Settings through CPD_ variables, the way a container gets its
environment; a test may kill one (SIGKILL) and start another in its place.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cpd.settings import PROJECT_ROOT, Settings


def service_env(settings: Settings, **overrides: object) -> dict[str, str]:
    """The environment that makes ``get_settings()`` in a child equal ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPD_")}
    env.update(settings.as_environment(**overrides))
    return env


def start_program(
    settings: Settings, log: Path, *args: str, **overrides: object
) -> subprocess.Popen[bytes]:
    """``cpd <args>`` in a process of its own, its output appended to ``log``."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "run.cli", *args],
        env=service_env(settings, **overrides),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def start_worker(settings: Settings, log: Path, **overrides: object) -> subprocess.Popen[bytes]:
    return start_program(settings, log, "worker", **overrides)


def start_inbound(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """The reply server, returned once it accepts connections."""
    process = start_program(settings, log, "inbound")
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(
                (settings.inbound_smtp_host, settings.inbound_smtp_port), timeout=1
            ):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"the reply server did not start; see {log}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (a graceful stop: in-flight work finishes), SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def holds_connection(process: subprocess.Popen[bytes], local_port: int) -> bool:
    """Whether ``process`` owns the loopback TCP socket on ``local_port`` (Linux /proc):
    which worker an SMTP session came from, given the session's peer port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(f"socket:[{fields[9]}]")
    try:
        fds = list(Path(f"/proc/{process.pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:
            continue
    return False
