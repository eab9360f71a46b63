"""An event's census as running totals: people per stage, and on each attention list.

A leader's status reads these few rows (one per stage) instead of passing over
every participant of the event on each request. The totals change in the same
transaction as the rows they count, at the only places where a participant's
stage or flags change: people are added (``add_batch``), a projection or a
bounce is written, or a person is erased (``kept``). Where someone stands is
always computed by the same SQL conditions that define the lists
(cpd.models.ATTENTION_LISTS), never by a second copy of them in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, and_, bindparam, case, insert
from sqlmodel import Session, col, func, select, update
from sqlmodel.sql.expression import Select

from cpd.counters import add_first
from cpd.models import ATTENTION_LISTS, EventCensus, Participant

LISTS = list(ATTENTION_LISTS)
assert all(hasattr(EventCensus, kind) for kind in LISTS), "a census column for every list"

Place = tuple[Any, ...]  # (stage, 1 or 0 for each list in LISTS)
Rows = Select[*tuple[Any, ...]]

# Plain functions on a (sync) Session: the worker runs them in one hop to a thread
# (cpd.db.Transactions), the API through its async session's ``run_sync``.


def _on(kind: str) -> ColumnElement[int]:
    return case((and_(*ATTENTION_LISTS[kind]), 1), else_=0)


def counted(*where: ColumnElement[bool]) -> Rows:
    """Count participants from their rows: (event, stage, people, one count per list)."""
    return (
        select(
            Participant.event_id,
            Participant.stage,
            func.count(),
            *(func.sum(_on(kind)) for kind in LISTS),
        )
        .where(*where)
        .group_by(Participant.event_id, Participant.stage)
    )


# Where one participant stands. FOR UPDATE (PostgreSQL): two writers of the same person
# take turns, so neither moves them from a place they have already left. Built once, with
# values bound per call: a projection runs it twice, and need not rebuild it each time.
_PLACE: Rows = (
    select(Participant.event_id, Participant.stage, *(_on(kind) for kind in LISTS))
    .where(col(Participant.id) == bindparam("participant_id"))
    .with_for_update()
)
_ADD = (
    update(EventCensus)
    .where(
        col(EventCensus.event_id) == bindparam("at_event"),
        col(EventCensus.stage) == bindparam("at_stage"),
    )
    .values({name: getattr(EventCensus, name) + bindparam(name) for name in ["people", *LISTS]})
    # No census row is read back in the transaction that changes it: nothing to refresh,
    # and finding out what to refresh would cost a query.
    .execution_options(synchronize_session=False)
)


def _place(session: Session, participant_id: str) -> tuple[str, Place] | None:
    row = session.exec(_PLACE, params={"participant_id": participant_id}).first()
    return (row[0], tuple(row[1:])) if row else None


@contextmanager
def kept(session: Session, participant_id: str) -> Iterator[None]:
    """Keep the census right across a change to one participant (or their erasure)."""
    before = _place(session, participant_id)
    yield
    session.flush()
    after = _place(session, participant_id)
    if before == after:
        return
    moves: dict[tuple[str, str], list[int]] = {}
    for found, sign in ((before, -1), (after, 1)):
        if found is not None:
            event_id, (stage, *on_lists) = found
            total = moves.setdefault((event_id, stage), [0] * (1 + len(LISTS)))
            for i, n in enumerate([1, *on_lists]):
                total[i] += sign * n
    # A fixed order, so two transactions never wait on each other's rows (PostgreSQL).
    for (event_id, stage), deltas in sorted(moves.items()):
        _add(session, event_id, stage, deltas)


def add_batch(session: Session, event_id: str, batch: int) -> None:
    """Count a batch of people just added to an event (their rows are in this transaction)."""
    session.flush()
    rows = session.exec(
        counted(col(Participant.event_id) == event_id, col(Participant.batch) == batch)
    )
    for _, stage, *deltas in rows.all():
        _add(session, event_id, stage, deltas)


def _add(session: Session, event_id: str, stage: str, deltas: Sequence[int]) -> None:
    people, *on_lists = deltas
    changes = dict(zip(LISTS, on_lists, strict=True), people=people)
    result = session.exec(_ADD, params={"at_event": event_id, "at_stage": stage, **changes})
    if not result.rowcount:  # the stage's first person
        add_first(session, EventCensus, {"event_id": event_id, "stage": stage}, changes)


def backfill(conn: sqlalchemy.Connection) -> None:
    """Count every event from its rows: once, when the census table is first created."""
    columns = ["event_id", "stage", "people", *LISTS]
    conn.execute(insert(EventCensus).from_select(columns, counted()))
