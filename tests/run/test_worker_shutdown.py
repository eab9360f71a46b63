"""A stopping worker lets the email it is sending finish, within CPD_WORKER_SHUTDOWN_SECONDS.

A deploy stops workers; without a grace period the SDK cancels in-flight activities at
once, so a message half handed to the relay is left to a retry elsewhere. (An email's
first, local try is part of its workflow task and is always waited for; the grace
period is for the ordinary activity that retries a send the relay put off.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from cpd.models import EmailSend
from run.worker import build_worker
from tests.support.events import days_ago, event
from tests.support.inbox import SmtpServer
from tests.support.stack import running_stack

CHECKIN_NOW = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"}
    ],
}


@pytest.mark.parametrize(("grace", "status"), [(20.0, "sent"), (0.0, "handed_over")])
async def test_a_stopping_worker_finishes_the_email_it_is_sending(
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
    smtp: SmtpServer,
    database_url: str,
    grace: float,
    status: str,
) -> None:
    relay_has_it = threading.Event()

    def slow_relay(_: EmailMessage, _sender: tuple[str, int]) -> None:
        relay_has_it.set()
        time.sleep(2)  # the relay takes its time to say "250 accepted"

    smtp.inbox.on_accept = slow_relay
    # The first try is put off, so an ordinary activity sends it: the one a deploy cancels.
    smtp.inbox.data_replies = ["451 4.3.0 try again later"]
    async with running_stack(
        dev_env.client,
        tmp_path,
        smtp,
        SchoolCalendar.always_open(),
        database_url=database_url,
        in_process_worker=False,
        worker_shutdown_seconds=grace,
    ) as s:
        async with build_worker(s.client, s.settings, s.db):
            body = event(plan=CHECKIN_NOW, event_date=days_ago(0))
            assert (await s.api.post("/v1/events", json=body, headers=s.auth())).is_success
            assert await asyncio.to_thread(relay_has_it.wait, 60)
        # The worker has stopped, mid-send: with a grace period the send finished and was
        # recorded; without one it was cancelled, its outcome unknown and left to a retry.
        async with s.db() as session:
            [send] = (await session.exec(select(EmailSend))).all()
        assert send.status == status
