"""Keep StepCount and ChoiceCount totals in step with the rows they count.

Always in the caller's transaction, so a total and its rows commit together.
"""

from __future__ import annotations

import sqlalchemy
from sqlalchemy import insert
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from cpd.models import Answer, ChoiceCount, StepCount


async def bump(
    session: AsyncSession,
    event_id: str,
    step_id: str,
    sent: int = 0,
    answered: int = 0,
    late: int = 0,
    choice: str = "",
) -> None:
    """Add to an event's totals for one step (negative to take away, as erasure does);
    with ``choice``, the ``answered`` count is added to that choice's total too.

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
    if choice and answered:
        await _bump_choice(session, event_id, step_id, choice, answered)


async def _bump_choice(
    session: AsyncSession, event_id: str, step_id: str, choice: str, answers: int
) -> None:
    result = await session.exec(
        update(ChoiceCount)
        .where(
            col(ChoiceCount.event_id) == event_id,
            col(ChoiceCount.step_id) == step_id,
            col(ChoiceCount.choice) == choice,
        )
        .values(answers=col(ChoiceCount.answers) + answers)
    )
    if not result.rowcount:
        session.add(ChoiceCount(event_id=event_id, step_id=step_id, choice=choice, answers=answers))


def backfill_choices(conn: sqlalchemy.Connection) -> None:
    """Count every event's answers by choice: once, when the table is first created."""
    counted = (
        select(Answer.event_id, Answer.step_id, Answer.choice, func.count())
        .where(Answer.event_id != "", Answer.choice != "")
        .group_by(Answer.event_id, Answer.step_id, Answer.choice)
    )
    columns = ["event_id", "step_id", "choice", "answers"]
    conn.execute(insert(ChoiceCount).from_select(columns, counted))
