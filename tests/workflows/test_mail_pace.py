"""First emails beyond the mail pace wait for their slot on a timer, not in a workflow task."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.api.enums.v1 import EventType

from tests.support.inbox import SmtpServer
from tests.support.stack import Stack, StackFactory
from tests.support.year import trigger

PEOPLE = 20


async def slot_waits(s: Stack, workflow_id: str) -> list[float]:
    """One participant's waits for a send slot: the timers of under a minute in its
    history (the plan's own timers are hours or days long)."""
    waits = []
    async for e in s.client.get_workflow_handle(workflow_id).fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            fire = e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
            if fire < timedelta(minutes=1):
                waits.append(fire.total_seconds())
    return waits


async def workflow_ids(s: Stack, event_id: str) -> list[str]:
    listed = await s.api.get(f"/v1/events/{event_id}/participants", headers=s.auth())
    return [f"cpd-{event_id}-{item['id']}" for item in listed.json()["items"]]


async def test_first_emails_over_the_pace_wait_on_timers_and_each_arrives_once(
    dev_stack: StackFactory, smtp: SmtpServer
) -> None:
    # One email a second after a burst of 10: the last ones wait up to 10 s for a slot.
    async with dev_stack(smtp_rate_per_second=1) as s:
        event = await trigger(s, "whole-school-inset", date.today() - timedelta(days=1), PEOPLE)
        messages = await smtp.inbox.wait_for(PEOPLE, timeout=90)
        recipients = sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in messages)
        assert len(recipients) == len(set(recipients)) == PEOPLE
        waits = [w for wid in await workflow_ids(s, event["id"]) for w in await slot_waits(s, wid)]
    # Over a second's wait is waited on a timer (a shorter one inside the reservation).
    assert len(waits) >= 3, waits
    assert all(1.0 < w <= PEOPLE for w in waits), waits
