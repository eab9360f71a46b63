"""Keep StepCount and ChoiceCount totals in step with the rows they count.

Always in the caller's transaction, so a total and its rows commit together.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy import bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, func, select, update

from cpd.models import Answer, ChoiceCount, StepCount

# Built once, values bound per call, like cpd/census.py's.
_BUMP_STEP = (
    update(StepCount)
    .where(
        col(StepCount.event_id) == bindparam("at_event"),
        col(StepCount.step_id) == bindparam("at_step"),
    )
    .values({n: getattr(StepCount, n) + bindparam(n) for n in ("sent", "answered", "late")})
    .execution_options(synchronize_session=False)
)
_BUMP_CHOICE = (
    update(ChoiceCount)
    .where(
        col(ChoiceCount.event_id) == bindparam("at_event"),
        col(ChoiceCount.step_id) == bindparam("at_step"),
        col(ChoiceCount.choice) == bindparam("at_choice"),
    )
    .values(answers=col(ChoiceCount.answers) + bindparam("answers"))
    .execution_options(synchronize_session=False)
)


def bump(
    session: Session,
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
    the first count for a step inserts the row (``add_first``). A plain function on a
    (sync) Session, like cpd/census.py.
    """
    if not event_id:
        return
    counts = {"sent": sent, "answered": answered, "late": late}
    result = session.exec(_BUMP_STEP, params={"at_event": event_id, "at_step": step_id, **counts})
    if not result.rowcount:
        add_first(session, StepCount, {"event_id": event_id, "step_id": step_id}, counts)
    if choice and answered:
        where = {"at_event": event_id, "at_step": step_id, "at_choice": choice}
        found = session.exec(_BUMP_CHOICE, params={**where, "answers": answered})
        if not found.rowcount:
            key = {"event_id": event_id, "step_id": step_id, "choice": choice}
            add_first(session, ChoiceCount, key, {"answers": answered})


def add_first(
    session: Session, table: type[SQLModel], key: dict[str, Any], amounts: dict[str, int]
) -> None:
    """Insert the row of totals for ``key``, or add to it where another transaction just did.

    Only where an UPDATE found no row. On PostgreSQL two workers can both find none (a
    fan-out's people reaching a step at once) and both insert: with a plain INSERT all but
    one would fail, after their email had gone. SQLite's writers take turns, but it reads
    the same statement.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert_row = dialect.insert(table).values(**key, **amounts)
    added = {name: getattr(table, name) + insert_row.excluded[name] for name in amounts}
    session.exec(insert_row.on_conflict_do_update(index_elements=list(key), set_=added))


def backfill_choices(conn: sqlalchemy.Connection) -> None:
    """Count every event's answers by choice: once, when the table is first created."""
    counted = (
        select(Answer.event_id, Answer.step_id, Answer.choice, func.count())
        .where(Answer.event_id != "", Answer.choice != "")
        .group_by(Answer.event_id, Answer.step_id, Answer.choice)
    )
    columns = ["event_id", "step_id", "choice", "answers"]
    conn.execute(insert(ChoiceCount).from_select(columns, counted))
