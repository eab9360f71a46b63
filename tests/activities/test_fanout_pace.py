"""A large event's participants begin their first steps once the event is started."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.inbox import SmtpServer
from tests.support.stack import StackFactory
from tests.support.year import trigger

PEOPLE = 150


async def test_no_first_email_leaves_before_nearly_every_participant_is_started(
    dev_stack: StackFactory, smtp: SmtpServer
) -> None:
    """The starts do not share the server and the cores with first steps: when the first
    email arrives, at least four in five of the event's workflows are already started
    (the start rate is measured as they go, and a shared machine's can drop after).
    Before, the first hundred began at once and the first email left while most were
    still to be started."""
    async with dev_stack(smtp_rate_per_second=0) as s:
        event = await trigger(s, "whole-school-inset", date.today() - timedelta(days=1), PEOPLE)
        await smtp.inbox.wait_for(1, timeout=180)
        query = f'WorkflowType = "ParticipantWorkflow" AND CpdEventId = "{event["id"]}"'
        started = (await s.client.count_workflows(query)).count
        assert started >= PEOPLE * 4 // 5, started
        everyone = await smtp.inbox.wait_for(PEOPLE, timeout=300)
        assert len({str(m["To"]) for m in everyone}) == PEOPLE
