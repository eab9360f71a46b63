"""The running census must always equal a count of the rows it stands for."""

from __future__ import annotations

from sqlmodel import col, select

from cpd import census
from cpd.db import Sessionmaker
from cpd.models import EventCensus, Participant


async def running_and_recounted(db: Sessionmaker, event_id: str) -> tuple[set[tuple], set[tuple]]:
    """(the running totals, a fresh count from the participants' rows), stages with people."""
    async with db() as session:
        kept = await session.exec(
            select(EventCensus).where(EventCensus.event_id == event_id, EventCensus.people > 0)
        )
        running = {(c.stage, c.people, *(getattr(c, k) for k in census.LISTS)) for c in kept}
        rows = await session.exec(census.counted(col(Participant.event_id) == event_id))
        recounted = {tuple(row[1:]) for row in rows.all()}
    return running, recounted
