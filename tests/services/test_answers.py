"""An answer waiting for a busy workflow leaves the database to everyone else."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import suppress
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.db import create_sessionmaker, unit_of_work
from cpd.models import Event, Participant
from services import admin
from services.answers import AnswerNotConfirmed, submit_answer
from workflows.types import AnswerIn


async def test_an_answer_waiting_for_its_workflow_holds_no_connection(
    dev_env: WorkflowEnvironment, database_url: str
) -> None:
    # One connection in the pool: a held one would make the second page wait, then fail.
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=3)
    db = create_sessionmaker(engine)
    await admin.create_school(db, "hillside", "Hillside")
    plan = BUILTIN_PLANS[DEFAULT_PLAN_ID]
    async with unit_of_work(db) as session:
        session.add(
            Event(
                id="e1",
                school_id="hillside",
                reference="inset",
                title="Retrieval practice",
                plan_id=plan.id,
                plan_json=plan.model_dump_json(),
                event_date=date(2026, 9, 1),
            )
        )
        session.add(
            Participant(
                id="p1",
                event_id="e1",
                school_id="hillside",
                email="ada@hillside.example",
                name="Ada",
                workflow_id=f"cpd-e1-p1-{uuid.uuid4().hex[:6]}",
            )
        )
    async with unit_of_work(db) as session:
        person = await session.get(Participant, "p1")
        assert person is not None
    # A workflow no worker is polling for: the answer waits as it would on a starved worker.
    # On the dev server: on the time-skipping server an update left waiting for a
    # workflow task stops its clock for every later test, even after the terminate.
    handle = await dev_env.client.start_workflow(
        "ParticipantWorkflow", id=person.workflow_id, task_queue=f"nobody-{uuid.uuid4().hex}"
    )
    try:
        async with unit_of_work(db) as session:
            person = await session.get(Participant, "p1")
            assert person is not None
            answer = AnswerIn(step_id="action-plan", text="Three questions each lesson")
            wait = timedelta(seconds=30)
            waiting = asyncio.create_task(
                submit_answer(dev_env.client, session, person, answer, wait)
            )
            await asyncio.sleep(1)
            assert not waiting.done()
            async with unit_of_work(db) as other:  # another teacher's page meanwhile
                found = (await other.exec(select(Participant.name))).all()
            assert list(found) == ["Ada"]
            waiting.cancel()
            with suppress(asyncio.CancelledError, AnswerNotConfirmed):
                await waiting

            # Past its wait the answer is "not confirmed", not an error: the page asks the
            # teacher to send it again (api/routes/answers.py), and a reply is deferred.
            t0 = time.monotonic()
            with pytest.raises(AnswerNotConfirmed):
                await submit_answer(dev_env.client, session, person, answer, timedelta(seconds=1))
            assert time.monotonic() - t0 < 10
    finally:
        await handle.terminate()
        await engine.dispose()
