"""The app database: constraints and types that exactly-once and tenancy rely on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as SyncSession
from sqlmodel import select

from activities.budget import BudgetActivities
from activities.contracts import AnswerRecordIn, ProjectionIn, ReserveIn
from activities.records import RecordActivities
from cpd import census, counters
from cpd.db import (
    Sessionmaker,
    Transactions,
    create_engine,
    create_sessionmaker,
    unit_of_work,
)
from cpd.models import (
    Answer,
    ApiKey,
    EmailBudgetSlot,
    EmailSend,
    Event,
    Participant,
    School,
    StepCount,
)
from cpd.security import split_api_key
from services import admin
from tests.support.census import running_and_recounted


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Sessionmaker]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


def an_event() -> Event:
    """Event e1 of school s1, for rows that need one."""
    return Event(
        id="e1",
        school_id="s1",
        reference="r",
        title="t",
        plan_id="p",
        plan_json="{}",
        event_date=date(2026, 9, 1),
    )


async def test_times_come_back_as_aware_utc(db: Sessionmaker) -> None:
    await admin.create_school(db, "s1", "Hillside")
    paris = timezone(timedelta(hours=1))
    async with unit_of_work(db) as session:
        session.add(an_event())
        session.add(
            Participant(
                id="p1",
                event_id="e1",
                school_id="s1",
                email="a@b.example",
                name="A",
                workflow_id="w",
                next_due_at=datetime(2026, 9, 2, 9, tzinfo=paris),
            )
        )
    async with db() as session:
        row = await session.get(Participant, "p1")
        assert row is not None
        assert row.next_due_at == datetime(2026, 9, 2, 8, tzinfo=UTC)
        assert row.next_due_at.tzinfo is UTC


async def test_a_send_key_can_be_claimed_once(db: Sessionmaker) -> None:
    row: dict[str, Any] = {
        "send_key": "wf:step:initial",
        "participant_id": "p1",
        "message_id": "<m@x>",
        "to_addr": "a@b.example",
        "subject": "",
    }
    async with unit_of_work(db) as session:
        session.add(EmailSend(**row))
    with pytest.raises(IntegrityError):
        async with unit_of_work(db) as session:
            session.add(EmailSend(**row))


async def test_recording_an_answer_twice_keeps_one_row(db: Sessionmaker) -> None:
    transactions = Transactions(db)
    records = RecordActivities(transactions)
    answer = AnswerRecordIn(
        participant_id="p1",
        school_id="s1",
        step_id="checkin",
        choice="tried_twice",
        text="",
        late=False,
        answered_at=datetime(2026, 9, 3, tzinfo=UTC),
    )
    await records.record_answer(answer)
    await records.record_answer(answer)  # a retried activity
    transactions.close()
    async with db() as session:
        rows = (await session.exec(select(Answer))).all()
    assert [(r.step_id, r.choice) for r in rows] == [("checkin", "tried_twice")]


async def test_api_keys_are_stored_only_as_hashes(db: Sessionmaker) -> None:
    await admin.create_school(db, "s1", "Hillside")
    key = await admin.create_key(db, "s1", "office")
    parts = split_api_key(key)
    assert parts is not None
    async with db() as session:
        [row] = (await session.exec(select(ApiKey))).all()
    assert row.prefix == parts[0]
    assert parts[1] not in row.key_hash
    assert await admin.revoke_key(db, parts[0]) is True
    assert await admin.revoke_key(db, parts[0]) is False


async def test_a_budget_gap_left_by_an_erasure_does_not_block_the_next_email(
    db: Sessionmaker,
) -> None:
    """Erasing one event's participant frees their slots; the teacher's others must
    still get theirs (slot numbers are unique per teacher and week)."""
    transactions = Transactions(db)
    budget = BudgetActivities(transactions, per_week=3)
    at = datetime(2026, 9, 2, 9, tzinfo=UTC)

    def reserve(key: str) -> ReserveIn:
        return ReserveIn(send_key=key, to="Ann@School.example", at=at, timezone="Europe/London")

    assert (await budget.reserve_email(reserve("erased:1"))).granted
    assert (await budget.reserve_email(reserve("kept:1"))).granted
    async with unit_of_work(db) as session:
        await session.delete(await session.get(EmailBudgetSlot, "erased:1"))

    second = await budget.reserve_email(reserve("kept:2"))
    third = await budget.reserve_email(reserve("kept:3"))
    over = await budget.reserve_email(reserve("kept:4"))
    again = await budget.reserve_email(reserve("kept:2"))  # a retried activity
    transactions.close()

    assert (second.granted, second.used) == (True, 2)
    assert (third.granted, third.used) == (True, 3)
    assert (over.granted, over.used) == (False, 3)
    assert (again.granted, again.used) == (True, 3)


async def test_one_school_cannot_spend_another_schools_budget_for_a_teacher(
    db: Sessionmaker,
) -> None:
    """Hillside adds Meadow's teacher to three events of its own: Meadow's emails still go."""
    transactions = Transactions(db)
    budget = BudgetActivities(transactions, per_week=3)
    at = datetime(2026, 9, 2, 9, tzinfo=UTC)

    def reserve(key: str, school_id: str) -> ReserveIn:
        return ReserveIn(
            send_key=key,
            to="ann@meadow.example",
            at=at,
            timezone="Europe/London",
            school_id=school_id,
        )

    spent = [await budget.reserve_email(reserve(f"h{n}:1", "hillside")) for n in range(4)]
    meadows = await budget.reserve_email(reserve("m1:1", "meadow"))
    transactions.close()

    assert [g.granted for g in spent] == [True, True, True, False]
    assert (meadows.granted, meadows.used) == (True, 1)


async def test_first_counts_made_at_the_same_moment_are_all_kept(db: Sessionmaker) -> None:
    """An event's people reach a stage nobody was in yet, and its first emails of a step
    are recorded, all at once (a fan-out's workers): every count is kept, none fails."""
    await admin.create_school(db, "s1", "Hillside")
    people = [f"p{i}" for i in range(12)]
    async with unit_of_work(db) as session:
        session.add(an_event())
        for i, pid in enumerate(people):
            session.add(
                Participant(
                    id=pid,
                    event_id="e1",
                    school_id="s1",
                    email=f"t{i}@b.example",
                    name=f"T{i}",
                    workflow_id=f"w{i}",
                )
            )
        await session.run(census.add_batch, "e1", 0)
    transactions = Transactions(db)
    records = RecordActivities(transactions)
    await asyncio.gather(
        *(
            records.project_participant(ProjectionIn(participant_id=pid, stage="awaiting_answer"))
            for pid in people
        ),
        *(transactions.write(counters.bump, "e1", "checkin", sent=1) for _ in people),
    )
    transactions.close()

    running, recounted = await running_and_recounted(db, "e1")
    assert running == recounted == {("awaiting_answer", 12, 0, 0, 0, 0, 0)}
    async with db() as session:
        step = await session.get(StepCount, ("e1", "checkin"))
    assert step is not None and step.sent == 12


async def test_a_read_sees_the_database_as_it_was_when_it_began(
    db: Sessionmaker, database_url: str
) -> None:
    """``Transactions.read``: one snapshot for all its statements, even where something
    commits between them (on PostgreSQL, by default, each statement would see the latest)."""
    await admin.create_school(db, "s1", "Hillside")

    def rename_meanwhile() -> None:
        async def rename() -> None:
            engine = create_engine(database_url)
            async with unit_of_work(create_sessionmaker(engine)) as session:
                school = await session.get(School, "s1")
                assert school is not None
                school.name = "Renamed"
            await engine.dispose()

        elsewhere = threading.Thread(target=asyncio.run, args=(rename(),))
        elsewhere.start()
        elsewhere.join()

    def twice(session: SyncSession) -> tuple[str, str]:
        first = session.exec(select(School.name)).one()
        rename_meanwhile()
        return first, session.exec(select(School.name)).one()

    transactions = Transactions(db)
    assert await transactions.read(twice) == ("Hillside", "Hillside")
    transactions.close()
    async with db() as session:
        assert (await session.exec(select(School.name))).one() == "Renamed"
