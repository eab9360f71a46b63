"""Schema upgrades that never lose data: Alembic migrations from earlier releases' schemas.

tests/cpd/schemas/ holds the tables two earlier releases created (their own
``create_all``, before migrations): the last one before migrations, and a November one
that lacks columns added since. Each is filled with a school's rows, upgraded, and
checked: nothing lost, the new columns filled in and working, the running totals
counted once, and the result the same shape as the models.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select

from cpd.builtin_plans import WHOLE_SCHOOL_INSET
from cpd.db import create_engine, create_sessionmaker, unit_of_work
from cpd.models import Answer, ApiKey, ChoiceCount, EmailSend, LeaderCheck, Participant, StepCount
from cpd.schema import SchemaOutOfDate, current, head, migrate, require_current
from services import reports
from tests.support.census import running_and_recounted
from tests.support.databases import Databases

SCHEMAS = Path(__file__).parent / "schemas"
PLAN = WHOLE_SCHOOL_INSET.model_dump_json()
AT = datetime(2026, 10, 1, 9, 0)  # as the releases stored it: UTC, no offset


def _differences(conn: sqlalchemy.Connection) -> list[Any]:
    return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


async def differences(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would write to make the database match the models: nothing."""
    async with engine.connect() as conn:
        return await conn.run_sync(_differences)


async def old_database(url: str, dialect: str, release: str) -> AsyncEngine:
    """A database as ``release`` made it, with one school's rows in it."""
    engine = create_engine(url)
    lines = (SCHEMAS / f"{release}.{dialect}.sql").read_text().splitlines()
    ddl = "\n".join(line for line in lines if not line.startswith("--"))
    async with engine.begin() as conn:
        for statement in ddl.split(";"):
            if statement.strip():
                await conn.exec_driver_sql(statement)
        columns = await conn.run_sync(_columns)
        for table, row in rows().items():
            if table not in columns:
                continue  # that release did not have it yet
            for values in row:
                kept = {k: v for k, v in values.items() if k in columns[table]}
                names = ", ".join(kept)
                marks = ", ".join(f":{k}" for k in kept)
                await conn.execute(
                    sqlalchemy.text(f"INSERT INTO {table} ({names}) VALUES ({marks})"),  # noqa: S608
                    kept,
                )
    return engine


def _columns(conn: sqlalchemy.Connection) -> dict[str, set[str]]:
    inspector = sqlalchemy.inspect(conn)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def rows() -> dict[str, list[dict[str, Any]]]:
    """A school, an event, three teachers, their answers and emails: what a term leaves,
    with the running totals the release kept of them (where it had their tables)."""
    census = ["needs_help", "overdue", "bounced", "paused", "withdrawn"]
    people = [
        ("p0", "waiting", False, 0),
        ("p1", "awaiting_answer", True, 1),
        ("p2", "withdrawn", False, 2),
    ]
    return {
        "school": [
            {
                "id": "s1",
                "name": "Hillside",
                "calendar_json": "{}",
                "branding_json": "{}",
                "created_at": AT,
            }
        ],
        "apikey": [
            {
                "school_id": "s1",
                "prefix": "oldkey",
                "key_hash": "x" * 64,
                "label": "MIS",
                "created_at": AT,
            }
        ],
        "event": [
            {
                "id": "e1",
                "school_id": "s1",
                "reference": "inset",
                "title": "Retrieval practice",
                "plan_id": WHOLE_SCHOOL_INSET.id,
                "plan_json": PLAN,
                "event_date": date(2026, 9, 1),
                "created_at": AT,
            }
        ],
        "participant": [
            {
                "id": pid,
                "event_id": "e1",
                "school_id": "s1",
                "email": f"{pid}@hillside.example",
                "name": f"Teacher {pid}",
                "workflow_id": f"wf-{pid}",
                "batch": 0,
                "stage": stage,
                "needs_help": help_,
                "email_bounced": False,
                "missed_count": missed,
                "paused": False,
                "updated_at": AT,
            }
            for pid, stage, help_, missed in people
        ],
        "answer": [
            {
                "participant_id": pid,
                "event_id": "e1",
                "school_id": "s1",
                "step_id": step,
                "choice": choice,
                "text": text,
                "fields_json": json.dumps(fields),
                "late": False,
                "shared": True,
                "answered_at": AT,
            }
            for pid, step, choice, text, fields in [
                ("p0", "impact-1-month", "4", "", {}),
                ("p1", "impact-1-month", "4", "", {}),
                ("p2", "impact-1-month", "2", "", {}),
                ("p0", "checkin-week-2", "tried_twice", "Twice with 9X2", {}),
                ("p0", "closing-reflection", "", "Private thoughts", {}),
                ("p1", "closing-reflection", "", "For my lead", {"share": "yes"}),
            ]
        ],
        "emailsend": [
            {
                "send_key": f"wf-{pid}:impact-1-month:{purpose}",
                "participant_id": pid,
                "event_id": "e1",
                "purpose": purpose.split("-")[0],
                "step_id": "impact-1-month",
                "reply_code": f"code{pid}{purpose}",
                "message_id": f"<{pid}{purpose}@cpd.test>",
                "to_addr": f"{pid}@hillside.example",
                "subject": "What has changed?",
                "status": "sent",
                "error": "",
                "created_at": AT,
            }
            for pid in ("p0", "p1", "p2")
            for purpose in ("initial", "reminder-1")
        ],
        "eventcensus": [
            {"event_id": "e1", "stage": stage, "people": 1, **dict(zip(census, lists, strict=True))}
            for stage, lists in [
                ("waiting", (0, 0, 0, 0, 0)),
                ("awaiting_answer", (1, 1, 0, 0, 0)),
                ("withdrawn", (0, 0, 0, 0, 1)),
            ]
        ],
        "choicecount": [
            {"event_id": "e1", "step_id": step, "choice": choice, "answers": n}
            for step, choice, n in [
                ("impact-1-month", "4", 2),
                ("impact-1-month", "2", 1),
                ("checkin-week-2", "tried_twice", 1),
            ]
        ],
        "stepcount": [
            {"event_id": "e1", "step_id": step, "sent": sent, "answered": answered, "late": 0}
            for step, sent, answered in [
                ("impact-1-month", 3, 3),
                ("checkin-week-2", 0, 1),
                ("closing-reflection", 0, 2),
            ]
        ],
    }


@pytest.mark.parametrize("release", ["before-migrations", "november-2026"])
async def test_an_earlier_releases_database_upgrades_with_nothing_lost(
    databases: Databases, tmp_path: Path, release: str
) -> None:
    with databases.empty(tmp_path) as url:
        await upgrades_with_nothing_lost(url, databases.name, release)


async def upgrades_with_nothing_lost(url: str, dialect: str, release: str) -> None:
    engine = await old_database(url, dialect, release)
    with pytest.raises(SchemaOutOfDate, match="cpd migrate"):
        await require_current(engine)  # the new release refuses to start on it
    await migrate(engine)
    await migrate(engine)  # run twice (a second job, a restart): nothing happens again
    assert await current(engine) == head()
    await require_current(engine)
    assert await differences(engine) == []

    db = create_sessionmaker(engine)
    async with db() as session:
        people = (await session.exec(select(Participant).order_by(Participant.id))).all()
        answers = (await session.exec(select(Answer))).all()
        sends = (await session.exec(select(EmailSend))).all()
    assert [(p.id, p.stage, p.needs_help, p.missed_count) for p in people] == [
        ("p0", "waiting", False, 0),
        ("p1", "awaiting_answer", True, 1),
        ("p2", "withdrawn", False, 2),
    ]
    assert len(answers) == 6 and len(sends) == 6
    async with db() as session:
        [key] = (await session.exec(select(ApiKey))).all()
    assert key.scopes == "trigger read erase"  # it could do everything before scopes
    assert {a.event_id for a in answers} == {"e1"}  # filled in where the column is new
    assert {(s.send_key.rsplit(":", 1)[1], s.purpose) for s in sends} == {
        ("initial", "initial"),
        ("reminder-1", "reminder"),
    }
    shared = {(a.participant_id, a.step_id): a.shared for a in answers}
    # The lead reads check-ins; a reflection only if its author ticked "share".
    assert shared[("p0", "checkin-week-2")] is True
    assert shared[("p0", "closing-reflection")] is False
    assert shared[("p1", "closing-reflection")] is True

    # The running totals, counted once from the rows, match a fresh count.
    running, recounted = await running_and_recounted(db, "e1")
    assert running == recounted
    async with db() as session:
        choices = (await session.exec(select(ChoiceCount))).all()
        steps = {s.step_id: s for s in (await session.exec(select(StepCount))).all()}
    assert {(c.step_id, c.choice, c.answers) for c in choices} >= {
        ("impact-1-month", "4", 2),
        ("impact-1-month", "2", 1),
    }
    assert (steps["impact-1-month"].sent, steps["impact-1-month"].answered) == (3, 3)

    # What came later works on the upgraded database: a leader's report, new tables.
    async with unit_of_work(db) as session:
        person = await session.get(Participant, "p0")
        assert person is not None
        person.paused = True
        session.add(
            LeaderCheck(
                school_id="s1",
                event_id="e1",
                step_id="leader-support",
                leader_id=1,
                reply_code="x" * 24,
                rating=3,
                answered_at=datetime.now(UTC),
            )
        )
    async with db() as session:
        batch = await session.read(reports.params("e1"), **reports.IMPACT_READS)
    assert [row.step_id for row in batch["leaders"]] == ["leader-support"]
    await engine.dispose()


async def test_a_new_database_is_built_by_the_migrations_to_match_the_models(
    database_url: str,
) -> None:
    # Every test's database is a copy of one the migrations built (tests/support/databases.py).
    engine = create_engine(database_url)
    assert await current(engine) == head()
    assert await differences(engine) == []
    await engine.dispose()


async def test_a_model_change_without_a_migration_is_caught(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE leadercheck DROP COLUMN text")
    found = await differences(engine)
    assert [d[0] for d in found] == ["add_column"] and found[0][3].name == "text"
    await engine.dispose()
