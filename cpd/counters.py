"""Keep StepCount totals in step with the rows they count, in the caller's transaction."""

from __future__ import annotations

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from cpd.models import StepCount


async def bump(
    session: AsyncSession,
    event_id: str,
    step_id: str,
    sent: int = 0,
    answered: int = 0,
    late: int = 0,
) -> None:
    """Add to an event's totals for one step (negative to take away, as erasure does).

    An UPDATE ... SET n = n + k is atomic, so concurrent workers never lose a count;
    the first count for a step inserts the row (a racing insert fails the whole
    transaction, and the activity's retry counts again from scratch).
    """
    if not event_id:
        return
    result = await session.exec(
        update(StepCount)
        .where(col(StepCount.event_id) == event_id, col(StepCount.step_id) == step_id)
        .values(
            sent=col(StepCount.sent) + sent,
            answered=col(StepCount.answered) + answered,
            late=col(StepCount.late) + late,
        )
    )
    if not result.rowcount:
        session.add(
            StepCount(event_id=event_id, step_id=step_id, sent=sent, answered=answered, late=late)
        )
