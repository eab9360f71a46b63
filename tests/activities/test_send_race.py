"""Two attempts at one send at once: the one that lost the hand-over changes nothing.

An attempt whose activity timed out is not always stopped, so a retry can run beside
it (activities/email.py). Here the first attempt's DATA command is answered late, after
the second attempt has sent the email, and with a refusal: the row must still say sent,
the address must not be marked bounced, and a third attempt must not send it again.
Real SMTP on loopback and the stack's database; the activity runs as the worker runs it.
"""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.contracts import StepEmailIn
from activities.email import EmailActivities, message_id_for
from activities.smtp import SmtpSender
from cpd.db import Transactions
from cpd.models import EmailSend, Event, Participant
from cpd.security import link_signer
from emails.render import EmailRenderer
from tests.support.events import event
from tests.support.stack import StackFactory


@pytest.mark.parametrize(
    ("late_reply", "late_error"),
    [
        ("451 4.3.0 Mailbox busy, try again", aiosmtplib.SMTPResponseException),
        ("550 5.7.1 Refused", RuntimeError),
    ],
)
async def test_a_refusal_heard_after_another_attempt_sent_the_email_changes_nothing(
    dev_stack: StackFactory, late_reply: str, late_error: type[Exception]
) -> None:
    async with dev_stack() as s:
        created = await s.api.post("/v1/events", json=event(), headers=s.auth())
        assert created.status_code == 201
        await s.smtp.inbox.wait_for(1)  # the workflow's own first email
        async with s.db() as session:
            person = (await session.exec(select(Participant))).one()
            found = await session.get(Event, person.event_id)
            assert found is not None
        step = found.plan.steps[0]
        send = StepEmailIn(
            send_key=f"{person.workflow_id}:{step.id}:reminder-7",
            school_id=s.school_id,
            participant_id=person.id,
            to=person.email,
            teacher_name=person.name,
            event_title=found.title,
            step=step,
            purpose="reminder",
            reminder_number=7,
        )
        sender = SmtpSender(s.settings)
        emails = EmailActivities(
            s.settings, Transactions(s.db), sender, EmailRenderer(), link_signer(s.settings)
        )

        s.smtp.inbox.data_delays = [3.0]
        s.smtp.inbox.data_command_replies = [late_reply]
        stale = asyncio.ensure_future(ActivityEnvironment().run(emails.send_step_email, send))
        await asyncio.sleep(1)  # the stale attempt has claimed the send and waits on DATA
        retry = await ActivityEnvironment().run(emails.send_step_email, send)
        assert retry.status == "sent"
        with pytest.raises(late_error):
            await stale

        async with s.db() as session:
            row = await session.get(EmailSend, send.send_key)
            assert row is not None and row.status == "sent"
            again = await session.get(Participant, person.id)
            assert again is not None and not again.email_bounced

        third = await ActivityEnvironment().run(emails.send_step_email, send)
        assert third.status == "already_sent"
        ids = [str(m["Message-ID"]) for m in s.smtp.inbox.messages]
        assert len(ids) == 2  # the workflow's first email, and this reminder once
        assert ids.count(message_id_for(send.send_key, s.settings.mail_reply_domain)) == 1
        await sender.close()
