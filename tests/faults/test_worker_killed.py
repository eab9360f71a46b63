"""Worker processes killed (SIGKILL) during a fan-out of 500 and during its sends:
every teacher still gets the email exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import EmailSend, Participant
from tests.faults.tally import TALLY
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.processes import start_worker, stop
from tests.support.stack import Stack, StackFactory

COUNT = 500
TEACHERS = [{"name": f"Teacher {n}", "email": f"t{n}@hillside.example"} for n in range(COUNT)]
# Kill the worker when this many emails have arrived: the first while the fan-out is still
# starting plans, the second in the middle of the sends.
KILL_AT = (20, 250)


async def unsent(s: Stack) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each teacher with no email yet, and their send rows' statuses and errors."""
    got = {str(m["To"]).split("<")[-1].rstrip(">") for m in s.smtp.inbox.messages}
    found = []
    async with s.db() as db:
        for person in (await db.exec(select(Participant))).all():
            if person.email not in got:
                query = select(EmailSend).where(EmailSend.participant_id == person.id)
                rows = (await db.exec(query)).all()
                found.append((person.email, [(r.send_key, r.status, r.error[:80]) for r in rows]))
    return found


async def test_workers_killed_during_a_fan_out_of_500_send_each_email_once(
    dev_env: WorkflowEnvironment, dev_stack: StackFactory, tmp_path: Path
) -> None:
    temporal = dev_env.client.service_client.config.target_host
    # One SMTP connection per worker. A kill here comes as a message arrives, just when
    # the worker's other connections are likeliest to be between recording their own
    # hand-over and writing DATA's last line (hand-overs are written one after another):
    # the one gap where a dead worker loses a message (activities/email.py), milliseconds
    # long, which a kill at a random moment rarely finds. This test is about the other
    # gap: a message the server has and the worker never heard it take.
    async with dev_stack(in_process_worker=False, send_timeout_seconds=20, smtp_pool_size=1) as s:
        log = tmp_path / "worker.log"
        workers: list[subprocess.Popen[bytes]] = []

        def spawn() -> None:
            workers.append(start_worker(s.settings, log, temporal_address=temporal))

        arrived = 0

        def maybe_kill(_message: EmailMessage, _sender: tuple[str, int]) -> None:
            # In the SMTP server's thread, before its "250": the message is delivered
            # and the worker dies not knowing it.
            nonlocal arrived
            arrived += 1
            if arrived in KILL_AT:
                os.kill(workers[-1].pid, signal.SIGKILL)
                TALLY.fault("worker SIGKILL")

        s.smtp.inbox.on_accept = maybe_kill
        spawn()
        try:
            body = event("big", TEACHERS, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
            created = await s.api.post("/v1/events", json=body, headers=s.auth())
            assert created.status_code == 201
            for _ in KILL_AT:  # a new worker in each killed one's place
                while workers[-1].poll() is None:
                    await asyncio.sleep(0.2)
                assert workers[-1].returncode == -signal.SIGKILL
                spawn()
            for _ in range(600):  # until every teacher has an email or a settled row
                missing = await unsent(s)
                settled = all(rows and rows[0][1] != "sending" for _, rows in missing)
                if settled and len(s.smtp.inbox.messages) + len(missing) >= COUNT:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(5)  # room for duplicates to arrive
        finally:
            for worker in workers:
                stop(worker)
        expected = [t["email"] for t in TEACHERS]
        delivered = [str(m["To"]).split("<")[-1].rstrip(">") for m in s.smtp.inbox.messages]
        TALLY.emails(expected, delivered)
        twice = [address for address, n in Counter(delivered).items() if n > 1]
        assert not twice, f"sent more than once: {twice[:10]}"
        # The hand-over is recorded just before DATA's last line (activities/smtp.py):
        # a kill anywhere else leaves either nothing at the server (the retry sends)
        # or a message the retry knows it has (it records it, never resends).
        assert await unsent(s) == [], "lost"
        assert len(delivered) == COUNT
