"""Write the workflow's state into the app DB, for leaders' lists."""

from __future__ import annotations

import json

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio import activity

from activities.contracts import AnswerRecordIn, ProjectionIn
from cpd import census
from cpd.calendar import SchoolCalendar
from cpd.counters import bump
from cpd.db import Sessionmaker, unit_of_work
from cpd.models import Answer, Participant, School, utcnow


class RecordActivities:
    def __init__(self, sessionmaker: Sessionmaker) -> None:
        self._db = sessionmaker

    @activity.defn
    async def project_participant(self, inp: ProjectionIn) -> None:
        async with (
            unit_of_work(self._db) as session,
            census.kept(session, inp.participant_id),
        ):
            row = await session.get(Participant, inp.participant_id)
            if row is None:
                return  # erased: nothing to project
            row.stage = inp.stage
            row.current_step_id = inp.current_step_id
            row.next_due_at = inp.next_due_at
            row.needs_help = inp.needs_help
            row.missed_count = inp.missed
            row.paused = inp.paused
            row.updated_at = utcnow()

    @activity.defn
    async def school_calendar(self, school_id: str) -> SchoolCalendar | None:
        """The school's current calendar, so running workflows see holidays added later."""
        async with self._db() as session:
            school = await session.get(School, school_id)
        return SchoolCalendar.model_validate_json(school.calendar_json) if school else None

    @activity.defn
    async def record_answer(self, inp: AnswerRecordIn) -> None:
        try:
            async with unit_of_work(self._db) as session:
                person = await session.get(Participant, inp.participant_id)
                row = Answer(**inp.model_dump(exclude={"fields"}))
                row.event_id = person.event_id if person else ""
                await bump(
                    session,
                    row.event_id,
                    inp.step_id,
                    answered=1,
                    late=int(inp.late),
                    choice=inp.choice,
                )
                row.fields_json = json.dumps(inp.fields)
                row.shared = inp.fields.get("share", "yes") == "yes"
                session.add(row)
        except IntegrityError:
            # A retried activity: the UNIQUE (participant, step) row is already there.
            async with self._db() as session:
                found = await session.exec(
                    select(Answer).where(
                        Answer.participant_id == inp.participant_id, Answer.step_id == inp.step_id
                    )
                )
                if found.first() is None:
                    raise
