"""A worker killed between handing an email to SMTP and recording it sends it once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import EmailSend
from tests.support.events import event
from tests.support.processes import start_worker
from tests.support.stack import StackFactory


async def until(check: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_killed_between_send_and_record_exactly_one_email_arrives(
    dev_env: WorkflowEnvironment, dev_stack: StackFactory, tmp_path: Path
) -> None:
    temporal = dev_env.client.service_client.config.target_host
    async with dev_stack(in_process_worker=False, send_timeout_seconds=5) as s:
        log = tmp_path / "worker.log"
        worker = start_worker(s.settings, log, temporal_address=temporal)
        killed: list[str] = []

        def kill_the_worker(message: EmailMessage, _sender: tuple[str, int]) -> None:
            # The server has the message; the worker dies before hearing "250".
            if not killed:
                killed.append(str(message["Message-ID"]))
                os.kill(worker.pid, signal.SIGKILL)

        s.smtp.inbox.on_accept = kill_the_worker
        created = await s.api.post("/v1/events", json=event(), headers=s.auth())
        assert created.status_code == 201
        await s.smtp.inbox.wait_for(1, timeout=60)
        assert worker.wait(timeout=10) == -signal.SIGKILL

        async def row() -> EmailSend | None:
            async with s.db() as session:
                return (await session.exec(select(EmailSend))).first()

        first = await row()
        assert first is not None and first.status == "handed_over"

        restarted = start_worker(s.settings, log, temporal_address=temporal)
        try:

            async def settled() -> bool:
                current = await row()
                return current is not None and current.status == "sent"

            await until(settled)
            await asyncio.sleep(2)  # room for a wrong second send to arrive
            assert len(s.smtp.inbox.messages) == 1
            assert [str(m["Message-ID"]) for m in s.smtp.inbox.messages] == killed

            async def waiting_for_the_answer() -> bool:
                status = await s.api.get(
                    f"/v1/events/{created.json()['id']}/participants", headers=s.auth()
                )
                return bool(status.json()["items"][0]["stage"] == "awaiting_answer")

            await until(waiting_for_the_answer)
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=30)
