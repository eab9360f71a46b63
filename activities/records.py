"""Write the workflow's state into the app DB, for leaders' lists.

Each activity is one transaction, a plain function run by cpd.db.Transactions:
in one hop to a thread on SQLite (see there for why).
"""

from __future__ import annotations

import json

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity

from activities.contracts import AnswerRecordIn, CalendarIn, ProjectionIn
from cpd import census, school_year
from cpd.calendar import SchoolCalendar
from cpd.counters import bump
from cpd.db import Transactions
from cpd.models import Answer, Event, HelpRequest, Participant, School, utcnow
from cpd.privacy import shared_with_lead


class RecordActivities:
    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    @activity.defn
    async def project_participant(self, inp: ProjectionIn) -> None:
        await self._tx.write(_project, inp)

    @activity.defn
    async def school_calendar(self, school_id: str) -> SchoolCalendar | None:
        """The school's calendar as entered (workflows from before school_calendar_at)."""
        found = await self._tx.read(_calendar_json, school_id)
        return SchoolCalendar.model_validate_json(found) if found is not None else None

    @activity.defn
    async def school_calendar_at(self, inp: CalendarIn) -> SchoolCalendar | None:
        """The school's calendar, so running workflows see holidays added later, with
        its nation's bank holidays and estimated holidays around the workflow's time."""
        found = await self._tx.read(_calendar_json, inp.school_id)
        if found is None:
            return None
        entered = SchoolCalendar.model_validate_json(found)
        out = school_year.effective(entered, inp.at.astimezone(entered.zone).date())
        return out

    @activity.defn
    async def record_answer(self, inp: AnswerRecordIn) -> None:
        try:
            await self._tx.write(_record_answer, inp)
        except IntegrityError:
            # A retried activity: the UNIQUE (participant, step) row is already there.
            if not await self._tx.read(_answer_exists, inp.participant_id, inp.step_id):
                raise


def _project(session: Session, inp: ProjectionIn) -> None:
    with census.kept(session, inp.participant_id):
        row = session.get(Participant, inp.participant_id)
        if row is None:
            return  # erased: nothing to project
        row.stage = inp.stage
        row.current_step_id = inp.current_step_id
        row.next_due_at = inp.next_due_at
        row.needs_help = inp.needs_help
        row.missed_count = inp.missed
        row.paused = inp.paused
        row.updated_at = utcnow()


def _calendar_json(session: Session, school_id: str) -> str | None:
    school = session.get(School, school_id)
    return school.calendar_json if school else None


def _record_answer(session: Session, inp: AnswerRecordIn) -> None:
    person = session.get(Participant, inp.participant_id)
    event = session.get(Event, person.event_id) if person else None
    step = event.plan.step(inp.step_id) if event else None
    row = Answer(**inp.model_dump(exclude={"fields"}))
    row.event_id = event.id if event else ""
    bump(session, row.event_id, inp.step_id, answered=1, late=int(inp.late), choice=inp.choice)
    row.fields_json = json.dumps(inp.fields)
    row.shared = shared_with_lead(step.kind if step else None, inp.fields)
    session.add(row)
    if inp.choice == "need_help" and person is not None:
        # Somebody must hear: the help notifier tells the school's CPD lead (services/support.py).
        session.add(
            HelpRequest(
                school_id=person.school_id,
                event_id=person.event_id,
                participant_id=person.id,
                step_id=inp.step_id,
                text=inp.text if row.shared else "",
            )
        )


def _answer_exists(session: Session, participant_id: str, step_id: str) -> bool:
    found = session.exec(
        select(Answer).where(Answer.participant_id == participant_id, Answer.step_id == step_id)
    )
    return found.first() is not None
