"""The Temporal dev server stopped in the middle of plans (SIGTERM, and later SIGKILL in
the middle of sends) and started again on the same file and port: the plans resume, every
teacher gets each email once, and answers given after the restart still record."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from temporalio.client import Client

from cpd.calendar import SchoolCalendar
from tests.faults.tally import TALLY
from tests.support.calendars import LONDON
from tests.support.dev_server import DevServer
from tests.support.events import event
from tests.support.inbox import SmtpServer, links_of
from tests.support.processes import start_worker, stop
from tests.support.stack import TEST_CONVERTER, Stack, running_stack


def teachers(group: str, count: int) -> list[dict[str, str]]:
    return [
        {"name": f"Teacher {group}{n}", "email": f"{group}{n}@hillside.example"}
        for n in range(count)
    ]


def check_in(group: str, at: datetime) -> dict[str, Any]:
    """An event whose check-in is due ``at`` (London time, to the second)."""
    at = at.astimezone(LONDON)
    plan = {
        "id": f"restart-{group}",
        "name": "A check-in",
        "steps": [
            {
                "id": "checkin",
                "kind": "practice_checkin",
                "offset_days": 0,
                "send_time": at.strftime("%H:%M:%S"),
            },
            {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
        ],
    }
    return {"plan": plan, "event_date": at.date().isoformat()}


def to_and_kind(message: EmailMessage) -> tuple[str, str]:
    to = str(message["To"]).split("<")[-1].rstrip(">")
    support = " ".join(str(message["Subject"]).split()).startswith("Some help with:")
    return to, "support" if support else "checkin"


async def trigger(s: Stack, group: str, people: list[dict[str, str]], at: datetime) -> str:
    body = event(f"restart-{group}", people, **check_in(group, at))
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def waiting(s: Stack, event_id: str, count: int, until: datetime) -> None:
    """Until every participant's workflow sleeps towards its check-in, or ``until``: on a
    loaded machine some may still be starting, which is a plan in the middle too."""
    while datetime.now(UTC) < until:
        listed = await s.api.get(f"/v1/events/{event_id}/participants", headers=s.auth())
        stages = [p["stage"] for p in listed.json()["items"]]
        if len(stages) == count and set(stages) == {"waiting"}:
            return
        await asyncio.sleep(0.2)


async def died(server: DevServer, timeout: float = 120) -> None:
    for _ in range(int(timeout * 10)):
        if not server.running:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the dev server was not killed: fewer emails than expected went")


async def answer_not_yet(s: Stack, address: str) -> None:
    """Tap "not yet" in the check-in, as the teacher would: recorded, and a support email
    is owed (the plan's next email for this teacher)."""
    [mail] = [m for m in s.smtp.inbox.to(address) if to_and_kind(m)[1] == "checkin"]
    tap = next(link for link in links_of(mail) if "choice=not_yet" in link)
    page = await s.api.post(tap.split("?")[0], data={"choice": "not_yet"})
    assert page.status_code == 200, page.text
    assert "Thank you: your answer is recorded" in page.text


async def test_plans_resume_after_the_temporal_server_restarts(
    own_dev_server: DevServer, tmp_path: Path, smtp: SmtpServer, database_url: str
) -> None:
    client = await Client.connect(own_dev_server.address, data_converter=TEST_CONVERTER)
    calendar = SchoolCalendar.always_open()
    stack = running_stack(
        client, tmp_path, smtp, calendar, database_url=database_url, in_process_worker=False
    )
    async with stack as s:
        # Not niced: on a loaded machine a niced worker process takes a minute to start.
        log = tmp_path / "worker.log"
        worker = start_worker(
            s.settings, log, temporal_address=own_dev_server.address, worker_nice=0
        )
        try:
            # Emails going now, then three plans sleeping towards a check-in due while
            # the server is down.
            now, soon, busy = teachers("a", 3), teachers("b", 3), teachers("c", 10)
            await trigger(s, "a", now, datetime.now(UTC))
            await smtp.inbox.wait_for(len(now), timeout=120)
            due = datetime.now(UTC) + timedelta(seconds=25)
            await waiting(
                s, await trigger(s, "b", soon, due), len(soon), due - timedelta(seconds=5)
            )

            own_dev_server.stop(signal.SIGTERM)
            TALLY.fault("temporal restart")
            await asyncio.sleep(max(3, (due - datetime.now(UTC)).total_seconds() + 2))
            assert len(smtp.inbox.messages) == len(now), "a check-in went early"
            await own_dev_server.start()
            await answer_not_yet(s, now[0]["email"])  # through the API's reconnected client
            await smtp.inbox.wait_for(len(now) + 1 + len(soon), timeout=120)

            # Killed in the middle of a fan-out's sends: when the third of ten has arrived.
            arrived = 0

            def kill_at_third(_message: EmailMessage, _sender: tuple[str, int]) -> None:
                nonlocal arrived
                arrived += 1
                if arrived == len(now) + 1 + len(soon) + 3:
                    os.kill(own_dev_server.pid, signal.SIGKILL)

            smtp.inbox.on_accept = kill_at_third
            await trigger(s, "c", busy, datetime.now(UTC))
            await died(own_dev_server)
            TALLY.fault("temporal restart")
            await own_dev_server.start()
            expected_count = len(now) + 1 + len(soon) + len(busy)
            await smtp.inbox.wait_for(expected_count, timeout=120)
            await answer_not_yet(s, busy[0]["email"])
            await smtp.inbox.wait_for(expected_count + 1, timeout=60)
            await asyncio.sleep(5)  # room for a duplicate to arrive
            assert worker.poll() is None, "the worker died in the outage"
        finally:
            stop(worker)

    expected = [(t["email"], "checkin") for t in now + soon + busy]
    expected += [(now[0]["email"], "support"), (busy[0]["email"], "support")]
    delivered = [to_and_kind(m) for m in smtp.inbox.messages]
    TALLY.emails(expected, delivered)
    assert Counter(delivered) == Counter(expected)
