"""Looking up a school's own records: another school's id is simply not found.

Every route that takes an id goes through here, so tenancy is checked in one
place and a foreign id gets the same 404 as a missing one (never a 403 that
would confirm it exists).
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.errors import ApiError
from cpd.models import Event, Participant
from cpd.names import fanout_queue
from workflows.fanout import EventFanoutWorkflow, FanoutInput


async def owned_event(session: AsyncSession, school_id: str, event_id: str) -> Event:
    return owned(await session.get(Event, event_id), school_id)


def owned(event: Event | None, school_id: str) -> Event:
    if event is None or event.school_id != school_id:
        raise ApiError(404, "not_found", "No such event.")
    return event


# The event, for a batch of reads (cpd.db.Reads, bound to "event_id"); check it with ``owned``.
EVENT = select(Event).where(Event.id == bindparam("event_id"))


async def owned_participant(
    session: AsyncSession, school_id: str, event_id: str, participant_id: str
) -> Participant:
    await owned_event(session, school_id, event_id)
    person = await session.get(Participant, participant_id)
    if person is None or person.event_id != event_id or person.school_id != school_id:
        raise ApiError(404, "not_found", "No such participant in this event.")
    return person


async def start_fanout(client: Client, workflow_id: str, task_queue: str, inp: FanoutInput) -> None:
    """Start one fan-out in its own lane; its fixed id makes a repeat a no-op."""
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            EventFanoutWorkflow.run,
            inp,
            id=workflow_id,
            task_queue=fanout_queue(task_queue),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
