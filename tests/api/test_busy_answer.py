"""An answer the workflow does not take in time: a true page, and sending it again is safe."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import Answer
from tests.support.events import days_ago, event
from tests.support.inbox import links_of
from tests.support.processes import start_worker, stop
from tests.support.stack import StackFactory

PLAN = {
    "context": "Three retrieval questions at the start of each lesson",
    "class_name": "9X2",
    "frequency": "Every lesson",
    "duration": "Five minutes",
}


async def test_an_answer_not_taken_in_time_says_so_and_counts_once_when_sent_again(
    dev_env: WorkflowEnvironment, dev_stack: StackFactory, tmp_path: Path
) -> None:
    temporal = dev_env.client.service_client.config.target_host
    log = tmp_path / "worker.log"
    async with dev_stack(in_process_worker=False, answer_wait_seconds=2) as s:
        worker = start_worker(s.settings, log, temporal_address=temporal)
        try:
            body = event(event_date=days_ago(1))
            created = await s.api.post("/v1/events", json=body, headers=s.auth())
            assert created.status_code == 201
            [mail] = await s.smtp.inbox.wait_for(1, timeout=60)
        finally:
            stop(worker)
        path = "/" + next(x for x in links_of(mail) if "/a/" in x).split("/", 3)[3]

        # No worker: the teacher's workflow cannot take the answer within the wait.
        busy = await s.api.post(path, data=PLAN)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "60"
        assert "Not confirmed yet" in busy.text and "Nothing was changed" not in busy.text
        assert "Please send it again in a minute" in busy.text
        assert f'href="{path}"' in busy.text

        worker = start_worker(s.settings, log, temporal_address=temporal)
        try:
            # The teacher sends it again until the page confirms it (the worker takes a few
            # seconds to start); each try that is not confirmed says so again.
            deadline = time.monotonic() + 60
            while (again := await s.api.post(path, data=PLAN)).status_code == 503:
                assert "Not confirmed yet" in again.text and time.monotonic() < deadline
                await asyncio.sleep(1)
            # The first Update may have reached the workflow once it was back: either way
            # the page says the answer is recorded, and it is recorded once.
            assert again.status_code == 200, again.text
            assert "your answer is recorded" in again.text or "already had" in again.text
            async with s.db() as session:
                answers = (await session.exec(select(Answer))).all()
            assert len(answers) == 1 and "Three retrieval questions" in answers[0].text
        finally:
            stop(worker)
