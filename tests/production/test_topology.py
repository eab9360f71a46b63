"""The service on the production topology: Temporal's server on PostgreSQL, the app on
PostgreSQL, two worker processes and the reply server; a worker and the server die."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import pytest
from sqlmodel import select

from cpd.models import EmailSend
from cpd.names import fanout_workflow_id
from tests.support.events import days_ago, event
from tests.support.inbox import links_of, send_reply
from tests.support.processes import holds_connection
from tests.support.production import DeploymentFactory
from tests.support.stack import Stack

ADA = {"name": "Ada Lovelace", "email": "ada@hillside.example"}
GRACE = {"name": "Grace Hopper", "email": "grace@hillside.example"}
PLAN_PARTS = {
    "context": "Retrieval starter",
    "class_name": "Year 9 set 2",
    "frequency": "every lesson",
    "duration": "six weeks",
}
CHECKIN_PLAN = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"}
    ],
}


def staff(count: int) -> list[dict[str, str]]:
    return [{"name": f"Teacher {i}", "email": f"t{i:04d}@hillside.example"} for i in range(count)]


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.25)


async def trigger(s: Stack, body: dict[str, Any]) -> str:
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def participant(s: Stack, event_id: str, email: str) -> dict[str, Any]:
    listing = await s.api.get(f"/v1/events/{event_id}/participants", headers=s.auth())
    [found] = [p for p in listing.json()["items"] if p["email"] == email]
    detail = await s.api.get(f"/v1/events/{event_id}/participants/{found['id']}", headers=s.auth())
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


async def sends(s: Stack) -> Counter[str]:
    """The send rows by status: what the workers recorded."""
    async with s.db() as session:
        return Counter(row.status for row in (await session.exec(select(EmailSend))).all())


async def all_sent(s: Stack, count: int, timeout: float = 120) -> None:
    async def settled() -> bool:
        return (await sends(s)) == Counter({"sent": count})

    await until(settled, timeout)


async def each_once(s: Stack, people: int) -> None:
    """Every participant got exactly one email (by the SMTP server's envelopes), none
    twice, none lost, and the workers recorded each as sent."""
    messages, envelopes = s.smtp.inbox.messages, s.smtp.inbox.envelopes
    per_address = Counter(rcpt for rcpt_tos in envelopes for rcpt in rcpt_tos)
    assert set(per_address.values()) == {1}, "an email was delivered twice"
    assert len({str(m["Message-ID"]) for m in messages}) == len(messages)
    async with s.db() as session:
        rows = (await session.exec(select(EmailSend))).all()
    assert {row.to_addr for row in rows} == set(per_address)
    assert len(per_address) == people


async def test_the_slice_answered_by_link_and_by_reply(deployed: DeploymentFactory) -> None:
    async with deployed() as d:
        s = d.stack
        event_id = await trigger(s, event("slice", [ADA, GRACE]))
        [mail] = await s.smtp.inbox.wait_for(1, ADA["email"], timeout=90)
        assert mail["Subject"] == "Your action plan (Retrieval practice)"
        link = links_of(mail)[0]
        page = await s.api.get(link)
        assert '<form method="post"' in page.text
        done = await s.api.post(link, data=PLAN_PARTS)
        assert "your answer is recorded" in done.text

        ada = await participant(s, event_id, ADA["email"])
        [answer] = ada["participant"]["answers"]
        assert answer["text"] == "Retrieval starter with Year 9 set 2, every lesson, for six weeks"
        # The timeline is a live Query, answered by a worker process.
        assert ada["timeline"]["steps"][0]["status"] == "answered"
        assert ada["timeline"]["next_step_id"] == "checkin-week-2"

        # SQL visibility on PostgreSQL lists the workflows by our search attributes.
        async def both_listed() -> bool:
            query = f'CpdEventId = "{event_id}" AND CpdSchoolId = "{s.school_id}"'
            return len([w async for w in s.client.list_workflows(query)]) == 2

        await until(both_listed, 30)

        # A check-in answered by replying to the email, through the reply server's process.
        checkin = await trigger(
            s, event("checkin", [GRACE], plan=CHECKIN_PLAN, event_date=days_ago(0))
        )
        # Her two emails may arrive in either order: the slice's action plan and this one.
        both = await s.smtp.inbox.wait_for(2, GRACE["email"], timeout=90)
        [ask] = [m for m in both if not str(m["Subject"]).startswith("Your action plan")]
        reply = EmailMessage()
        reply["From"] = f"{GRACE['name']} <{GRACE['email']}>"
        reply["Subject"] = f"Re: {ask['Subject']}"
        reply.set_content("Tried it twice this week, it went well!")
        port = s.settings.inbound_smtp_port
        response = await send_reply(port, str(ask["Reply-To"]), reply, GRACE["email"])
        assert response.code == 250 and "recorded" in response.message
        grace = await participant(s, checkin, GRACE["email"])
        assert [(a["choice"], a["text"]) for a in grace["participant"]["answers"]] == [
            ("tried_twice", "Tried it twice this week, it went well!")
        ]


@pytest.mark.timeout(600)
async def test_a_fan_out_of_1000_sends_each_first_email_once(deployed: DeploymentFactory) -> None:
    people = 1000
    async with deployed(fan_out_begin_per_second=0, smtp_rate_per_second=0) as d:
        s = d.stack
        event_id = await trigger(s, event("all-staff", staff(people)))
        fanout = s.client.get_workflow_handle(fanout_workflow_id(event_id))
        await all_sent(s, people, timeout=480)
        await fanout.result()
        await asyncio.sleep(2)  # room for a wrong second send to arrive
        await each_once(s, people)

        # The projection follows each send in its workflow: the leaders' counts catch up.
        async def all_awaiting() -> bool:
            status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
            return bool(status["stages"] == {"awaiting_answer": people})

        await until(all_awaiting, 60)


async def test_a_worker_killed_mid_send_and_restarted_sends_each_email_once(
    deployed: DeploymentFactory,
) -> None:
    people = 100
    # One connection per worker: the only message the killed worker has in flight is the
    # one the server has just taken (a death between the hand-over and the server
    # taking it may lose that one message: see activities/email.py).
    async with deployed(smtp_pool_size=1, smtp_rate_per_second=0, fan_out_begin_per_second=0) as d:
        s = d.stack
        victim = d.workers[0]
        killed: list[str] = []

        def kill_mid_send(message: EmailMessage, sender: tuple[str, int]) -> None:
            # The server holds the victim's message; it dies before hearing "250".
            ready = not killed and len(s.smtp.inbox.messages) >= 20
            if ready and holds_connection(victim, sender[1]):
                killed.append(str(message["Message-ID"]))
                os.kill(victim.pid, signal.SIGKILL)

        s.smtp.inbox.on_accept = kill_mid_send
        await trigger(s, event("killed", staff(people)))

        async def victim_died() -> bool:
            return victim.poll() is not None

        await until(victim_died, 120)
        assert victim.returncode == -signal.SIGKILL and len(killed) == 1
        async with s.db() as session:
            [row] = (
                await session.exec(select(EmailSend).where(EmailSend.message_id == killed[0]))
            ).all()
        assert row.status in ("handed_over", "sent")  # "sent" once the survivor took it over

        d.start_worker()  # the replacement, as an orchestrator would start
        await all_sent(s, people, timeout=180)
        await asyncio.sleep(2)  # room for a wrong second send to arrive
        assert [str(m["Message-ID"]) for m in s.smtp.inbox.messages].count(killed[0]) == 1
        await each_once(s, people)


async def test_the_temporal_server_restarted_mid_plan_and_the_plans_resume(
    deployed: DeploymentFactory,
) -> None:
    people = 100
    # Starts paced at 20 a second: most participants are still durable timers in the
    # server's database when it goes down.
    async with deployed(fan_out_begin_per_second=20, fan_out_burst=10, smtp_rate_per_second=0) as d:
        s = d.stack
        event_id = await trigger(s, event("restart", [ADA, *staff(people - 1)]))
        await s.smtp.inbox.wait_for(15, timeout=120)
        await d.production.temporal.restart(kill=True)
        before = len(s.smtp.inbox.messages)
        assert before < people

        await all_sent(s, people, timeout=180)
        await s.client.get_workflow_handle(fanout_workflow_id(event_id)).result()

        # Ada's follow-through began before the restart; it takes her answer after it.
        [mail] = s.smtp.inbox.to(ADA["email"])
        done = await s.api.post(links_of(mail)[0], data=PLAN_PARTS)
        assert "your answer is recorded" in done.text
        ada = await participant(s, event_id, ADA["email"])
        assert ada["timeline"]["steps"][0]["status"] == "answered"
        assert ada["timeline"]["next_step_id"] == "checkin-week-2"
        await each_once(s, people)
