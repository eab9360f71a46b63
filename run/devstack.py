"""Run the whole service on one machine with embedded defaults (``cpd dev``).

Temporal dev server persisting to data/temporal.db, the worker, the API, a
local SMTP server with a mailbox page, and SQLite. Ctrl-C stops everything;
starting again resumes the same workflows and data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from cpd.calendar import SchoolCalendar
from cpd.db import create_engine, create_sessionmaker
from cpd.names import SEARCH_ATTRIBUTES
from cpd.schema import migrate
from cpd.settings import PROJECT_ROOT, Settings
from devtools.servers import temporal_cli
from services import admin

TEMPORAL_PORT, TEMPORAL_UI_PORT, API_PORT, SMTP_PORT, REPLY_PORT = 7233, 8233, 8000, 1025, 2525
DEV_SCHOOL = "dev-school"
# The development school's CPD lead: sign in to the dashboard as them by the emailed link,
# which arrives in the dev mailbox (/dev/mailbox).
DEV_LEAD = "lead@dev.school.example"
# The development school is open around the clock so a trigger shows its first
# email at once, whatever the hour; real schools keep weekends, holidays and
# a daytime send window (see `cpd create-school --calendar`).
DEV_CALENDAR = SchoolCalendar.always_open()


def _wait_for_port(port: int, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port} within {timeout:.0f}s")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _start_temporal(binary: Path, data: Path) -> subprocess.Popen[bytes]:
    args = [
        str(binary),
        "server",
        "start-dev",
        "--db-filename",
        str(data / "temporal.db"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(TEMPORAL_PORT),
        "--ui-port",
        str(TEMPORAL_UI_PORT),
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{key.name}=Keyword"]
    log = open(data / "temporal.log", "ab")  # noqa: SIM115 - owned by the child for its life
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


async def _dev_key(settings: Settings) -> str:
    """The development school, its CPD lead and its key, created once (the key kept in
    data/)."""
    key_file = settings.data_dir / "dev-api-key"
    engine = create_engine(settings.resolved_database_url)
    try:
        # The dev stack's one-shot migration step, before it starts the API and workers
        # (compose runs `cpd migrate` as a job for the same reason).
        await migrate(engine)
        db = create_sessionmaker(engine)
        if not key_file.exists():
            # If the school exists but its key file was deleted, just issue a new key.
            with suppress(ValueError):
                await admin.create_school(db, DEV_SCHOOL, "Development School", DEV_CALENDAR)
        if not await admin.has_leader(db, DEV_LEAD, DEV_SCHOOL):
            await admin.add_leader(db, DEV_LEAD, "cpd_lead", school_id=DEV_SCHOOL)
        if key_file.exists():
            return key_file.read_text().strip()
        key = await admin.create_key(db, DEV_SCHOOL, "development")
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
        return key
    finally:
        await engine.dispose()


def run() -> None:
    data = Path(os.environ.get("CPD_DATA_DIR", PROJECT_ROOT / "data"))
    data.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CPD_ENVIRONMENT", "development")
    os.environ.setdefault("CPD_DATA_DIR", str(data))
    os.environ.setdefault("CPD_DEV_MAILBOX_DIR", str(data / "mailbox"))
    os.environ.setdefault("CPD_SMTP_PORT", str(SMTP_PORT))
    os.environ.setdefault("CPD_INBOUND_SMTP_PORT", str(REPLY_PORT))
    os.environ.setdefault("CPD_PUBLIC_BASE_URL", f"http://127.0.0.1:{API_PORT}")
    # The API's /metrics adds up what every process here counts (the worker's emails too).
    metrics_dir = data / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    settings = Settings()
    ports = (
        (TEMPORAL_PORT, "Temporal"),
        (API_PORT, "the API"),
        (SMTP_PORT, "SMTP"),
        (REPLY_PORT, "replies"),
    )
    for port, what in ports:
        if not _port_free(port):
            raise SystemExit(
                f"port {port} ({what}) is already in use: is another `cpd dev` running?"
            )

    children: list[subprocess.Popen[bytes]] = []
    binary = temporal_cli()
    sdk_env = None
    if binary is not None:
        children.append(_start_temporal(binary, data))
    else:
        from temporalio.testing import WorkflowEnvironment

        # No CLI here: the SDK downloads the same dev server and runs it for us.
        sdk_env = asyncio.run(
            WorkflowEnvironment.start_local(
                port=TEMPORAL_PORT,
                ui=True,
                ui_port=TEMPORAL_UI_PORT,
                dev_server_database_filename=str(data / "temporal.db"),
                search_attributes=SEARCH_ATTRIBUTES,
            )
        )
    _wait_for_port(TEMPORAL_PORT, "Temporal")

    from devtools.mailbox import start_smtp_server

    smtp = start_smtp_server(settings.dev_mailbox_dir or data / "mailbox", "127.0.0.1", SMTP_PORT)
    key = asyncio.run(_dev_key(settings))
    py = sys.executable
    children.append(subprocess.Popen([py, "-m", "run.worker"]))  # noqa: S603
    children.append(subprocess.Popen([py, "-m", "run.inbound"]))  # noqa: S603
    children.append(
        subprocess.Popen(  # noqa: S603
            [
                py,
                "-m",
                "uvicorn",
                "api.app:serve_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(API_PORT),
                "--log-level",
                "warning",
            ]
        )
    )
    _wait_for_port(API_PORT, "the API")
    base = f"http://127.0.0.1:{API_PORT}"
    print(
        "\ncpd-followthrough is running\n"
        f"  API docs     {base}/docs\n"
        f"  Dashboard    {base}/dashboard   (sign in as {DEV_LEAD}: the link arrives in the "
        "Mailbox)\n"
        f"  Mailbox      {base}/dev/mailbox\n"
        f"  Temporal UI  http://127.0.0.1:{TEMPORAL_UI_PORT}\n"
        f"  SMTP         127.0.0.1:{SMTP_PORT} (outgoing, kept in the mailbox)\n"
        f"  Replies      127.0.0.1:{REPLY_PORT} (SMTP for emailed answers)\n"
        f"  Data         {data}\n"
        f"  API key      {key}   (school '{DEV_SCHOOL}')\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )

    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("a child process exited; stopping everything", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        # Stop in reverse order: the API and worker before the server they talk to.
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        smtp.stop()
        if sdk_env is not None:
            asyncio.run(sdk_env.shutdown())
        print("stopped.", flush=True)
