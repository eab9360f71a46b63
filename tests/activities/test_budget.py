"""A school's own weekly budget, chosen on its settings page, is the one its sends keep to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from activities.budget import BudgetActivities
from activities.contracts import ReserveIn
from cpd.db import Sessionmaker, Transactions, create_engine, create_sessionmaker, unit_of_work
from cpd.models import School
from services import admin


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Sessionmaker]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_a_school_that_chose_its_own_budget_sends_that_many_a_week(
    db: Sessionmaker,
) -> None:
    await admin.create_school(db, "strict", "Strict School")
    await admin.create_school(db, "usual", "Usual School")
    async with unit_of_work(db) as session:
        school = await session.get(School, "strict")
        assert school is not None
        school.email_budget_per_week = 2
    transactions = Transactions(db)
    budget = BudgetActivities(transactions, per_week=3)
    at = datetime(2026, 9, 2, 9, tzinfo=UTC)

    def reserve(key: str, school_id: str) -> ReserveIn:
        return ReserveIn(
            send_key=key, to="ann@x.example", at=at, timezone="Europe/London", school_id=school_id
        )

    strict = [await budget.reserve_email(reserve(f"s{n}:1", "strict")) for n in range(3)]
    usual = [await budget.reserve_email(reserve(f"u{n}:1", "usual")) for n in range(4)]
    transactions.close()

    assert [g.granted for g in strict] == [True, True, False]
    assert strict[-1].per_week == 2
    assert [g.granted for g in usual] == [True, True, True, False]  # the service's default
