"""Exactly one effect under races: the same request arriving many times at once."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from sqlmodel import func, select

from cpd.models import Answer, Event
from run.inbound import serve
from tests.faults.tally import TALLY
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import free_port, links_of, send_reply
from tests.support.stack import Stack, StackFactory

TEACHERS = [{"name": f"Teacher {n}", "email": f"t{n}@hillside.example"} for n in range(5)]


async def settle(s: Stack, count: int) -> list[EmailMessage]:
    """The emails once ``count`` have arrived and a wrong extra one has had time to."""
    await s.smtp.inbox.wait_for(count, timeout=60)
    await asyncio.sleep(2)
    return s.smtp.inbox.messages


async def rows(s: Stack, table: type) -> int:
    async with s.db() as db:
        return int((await db.exec(select(func.count()).select_from(table))).one())


async def test_the_same_trigger_posted_ten_times_at_once_makes_one_event(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        body = event("raced", TEACHERS, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        posts = [s.api.post("/v1/events", json=body, headers=s.auth()) for _ in range(10)]
        responses = await asyncio.gather(*posts)
        TALLY.fault("concurrent trigger", 10)
        assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
        assert len({r.json()["id"] for r in responses}) == 1
        mails = await settle(s, len(TEACHERS))
        assert await rows(s, Event) == 1
        expected = [t["email"] for t in TEACHERS]
        delivered = [str(m["To"]).split("<")[-1].rstrip(">") for m in mails]
        TALLY.emails(expected, delivered)
        assert sorted(delivered) == sorted(expected)


async def one_checkin(s: Stack) -> EmailMessage:
    body = event("once", plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
    assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
    [mail] = await s.smtp.inbox.wait_for(1)
    return mail


async def test_a_double_clicked_answer_is_recorded_once(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        mail = await one_checkin(s)
        tap = next(link for link in links_of(mail) if "choice=tried_twice" in link)
        form = {"choice": "tried_twice", "text": "Went well"}
        pages = await asyncio.gather(*(s.api.post(tap.split("?")[0], data=form) for _ in range(2)))
        TALLY.fault("double click")
        assert [p.status_code for p in pages] == [200, 200]
        assert all("Thank you: your answer is recorded" in p.text for p in pages)
        assert sum("We already had your answer" in p.text for p in pages) == 1
        assert await rows(s, Answer) == 1
        mails = await settle(s, 1)
        TALLY.emails(["ada"], ["ada" for _ in mails])
        assert len(mails) == 1


async def test_a_reply_and_a_link_answer_at_once_record_one_answer(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    async with dev_stack(inbound_smtp_port=port) as s:
        server = await serve(s.settings, s.db, s.client, s.app.state.resources.mailer)
        try:
            mail = await one_checkin(s)
            tap = next(link for link in links_of(mail) if "choice=tried_twice" in link)
            reply = EmailMessage()
            reply["From"] = "Ada Lovelace <ada@hillside.example>"
            reply["Subject"] = "Re: How is it going?"
            reply.set_content("Not yet, sorry")
            page, answered = await asyncio.gather(
                s.api.post(tap.split("?")[0], data={"choice": "tried_twice", "text": ""}),
                send_reply(port, str(mail["Reply-To"]), reply),
            )
            TALLY.fault("reply and link at once")
            assert page.status_code == 200 and answered.code == 250
            told = [
                "We already had your answer" in page.text,
                "already recorded" in answered.message,
            ]
            assert sorted(told) == [False, True], (page.text, answered.message)
            async with s.db() as db:
                [kept] = (await db.exec(select(Answer))).all()
            # The one recorded is the one that was not told "already".
            assert kept.choice == ("not_yet" if told[0] else "tried_twice")
            # Whichever won, one effect: a "not yet" brings its one support email.
            expected = ["ada"] * (2 if kept.choice == "not_yet" else 1)
            mails = await settle(s, len(expected))
            TALLY.emails(expected, ["ada" for _ in mails])
            assert len(mails) == len(expected)
        finally:
            server.close()
