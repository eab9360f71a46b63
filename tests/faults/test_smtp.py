"""The outgoing SMTP server failing: a 5xx for one address, and the server down a while."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from tests.faults.tally import TALLY
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.stack import StackFactory

TEACHERS = [{"name": f"Teacher {n}", "email": f"t{n}@hillside.example"} for n in range(4)]
EXPECTED = [t["email"] for t in TEACHERS]


def recipients(messages: list[EmailMessage]) -> list[str]:
    return [str(m["To"]).split("<")[-1].rstrip(">") for m in messages]


async def test_a_5xx_for_one_address_bounces_only_that_one(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        gone = EXPECTED[1]
        s.smtp.inbox.refuse = {gone: "550 5.1.1 No such user here"}
        TALLY.fault("smtp 5xx")
        body = event("bounce", TEACHERS, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201
        await s.smtp.inbox.wait_for(len(TEACHERS) - 1, timeout=60)
        path = f"/v1/events/{created.json()['id']}/participants"
        for _ in range(100):  # the bounce is recorded by the worker, shortly after
            people = (await s.api.get(path, headers=s.auth())).json()["items"]
            if any(p["email_bounced"] for p in people):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # room for a wrong retry of the bounced address
        delivered = recipients(s.smtp.inbox.messages)
        TALLY.emails([e for e in EXPECTED if e != gone], delivered)
        assert sorted(delivered) == sorted(e for e in EXPECTED if e != gone)
        assert s.smtp.inbox.rcpt_calls.count(gone) == 1, "a permanent refusal was retried"
        bounced = {p["email"]: p["email_bounced"] for p in people}
        assert bounced == {e: e == gone for e in EXPECTED}


async def test_smtp_down_for_a_while_then_back_loses_nothing_and_sends_nothing_twice(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        s.smtp.stop()  # nothing listens on its port: connections are refused
        TALLY.fault("smtp down")
        body = event("outage", TEACHERS, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201
        await asyncio.sleep(8)  # the first attempts and the first retry fail
        s.smtp.start_again()
        await s.smtp.inbox.wait_for(len(TEACHERS), timeout=90)
        await asyncio.sleep(3)  # room for a duplicate to arrive
        delivered = recipients(s.smtp.inbox.messages)
        TALLY.emails(EXPECTED, delivered)
        assert sorted(delivered) == sorted(EXPECTED)
        people = (
            await s.api.get(f"/v1/events/{created.json()['id']}/participants", headers=s.auth())
        ).json()["items"]
        assert not any(p["email_bounced"] for p in people)
