"""What a CPD lead sees to manage a running event: its people, and one teacher's timeline.

The actions themselves are the API's (services/participants.py, services/triggers.py);
this module only reads, and puts step titles where the workflow and the rows keep ids.
What a teacher wrote is shown as the privacy rule allows (cpd/privacy.py): a reflection
they kept private shows that it was answered, never its words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from temporalio.client import Client

from cpd.calendar import SchoolCalendar
from cpd.db import Db
from cpd.models import EmailSend, Event, Participant, School
from cpd.plans import Plan, StepKind
from emails.content import choice_label
from services.participants import detail
from services.schemas import AnswerOut
from services.tenancy import owned_event, owned_participant
from workflows.types import Timeline

STAGES = {
    "scheduled": "Not started yet",
    "waiting": "Waiting for the next step",
    "awaiting_answer": "Asked, not answered yet",
    "paused": "Paused",
    "completed": "Completed",
    "withdrawn": "Removed or unsubscribed",
}
STATUSES = {
    "upcoming": "To come",
    "sent": "Sent",
    "answered": "Answered",
    "missed": "Not answered in time",
    "skipped": "Skipped",
    "before_joined": "Before they joined (not sent)",
}


def step_title(plan: Plan, step_id: str | None) -> str:
    """A step's words; a step the plan no longer has keeps its id (better than nothing)."""
    if not step_id:
        return ""
    found = next((s for s in plan.steps if s.id == step_id), None)
    return found.display_title if found else step_id


@dataclass(frozen=True)
class PersonRow:
    person: Participant
    stage: str
    step: str  # the current step's title, or ""


@dataclass(frozen=True)
class EventPeople:
    event: Event
    people: list[PersonRow]


async def event_people(db: Db, school_id: str, event_id: str) -> EventPeople:
    """Everyone in one of the school's events, by name, with their stage and step in words."""
    event = await owned_event(db, school_id, event_id)
    query = select(Participant).where(Participant.event_id == event.id)
    people = (await db.exec(query.order_by(col(Participant.name)))).all()
    plan = event.plan
    rows = [
        PersonRow(p, STAGES.get(p.stage, p.stage), step_title(plan, p.current_step_id))
        for p in people
    ]
    return EventPeople(event, rows)


@dataclass(frozen=True)
class StepLine:
    title: str
    status: str
    due_at: datetime | None
    sent_at: datetime | None
    answer: str  # what the lead may read of the answer; "" when none


@dataclass(frozen=True)
class SentLine:
    subject: str
    step: str
    purpose: str
    status: str
    at: datetime


@dataclass(frozen=True)
class PersonView:
    event: Event
    person: Participant
    stage: str
    paused: bool
    withdrawn: bool
    live: bool  # False when the workflow could not be asked: the steps come from the rows
    steps: list[StepLine]
    next_title: str
    next_due_at: datetime | None
    waiting: list[str]  # steps sent and not answered yet, by title
    emails: list[SentLine]


async def person_view(
    client: Client, db: Db, school_id: str, event_id: str, participant_id: str
) -> PersonView:
    """One teacher's follow-through: what was sent and when, what comes next, their
    answers (a private reflection's words removed), and every email sent to them."""
    person = await owned_participant(db, school_id, event_id, participant_id)
    event = await owned_event(db, school_id, event_id)
    plan = event.plan
    school = await db.get(School, school_id)
    zone = SchoolCalendar.model_validate_json(school.calendar_json if school else "{}").zone

    def local(at: datetime | None) -> datetime | None:
        # Times as the school reads them (its calendar's zone), not the database's UTC.
        return at.astimezone(zone) if at else None

    seen = await detail(client, db, person)  # redacted as the API's is
    answers = {a.step_id: a for a in seen.participant.answers}
    timeline: Timeline | None = seen.timeline
    records = {r.step_id: r for r in timeline.steps} if timeline else {}

    def _upcoming(step_id: str) -> bool:
        rec = records.get(step_id)
        return rec is not None and rec.status == "upcoming"

    steps = []
    for step in plan.steps:
        rec = records.get(step.id)
        steps.append(
            StepLine(
                title=step.display_title,
                status=STATUSES.get(rec.status, rec.status) if rec else "",
                due_at=local(rec.due_at) if rec else None,
                sent_at=local(rec.sent_at) if rec else None,
                answer=_answer_words(answers.get(step.id), step.kind),
            )
        )
    sends = (
        await db.exec(
            select(EmailSend)
            .where(EmailSend.participant_id == person.id)
            .order_by(col(EmailSend.created_at))
        )
    ).all()
    emails = [
        SentLine(
            subject=e.subject,
            step=step_title(plan, e.step_id),
            purpose=e.purpose,
            status=e.status,
            at=local(e.sent_at or e.created_at) or e.created_at,
        )
        for e in sends
    ]
    # What comes next: the first step still to send (the workflow's "next" is the step it
    # is on, which may be sent already and waiting for an answer).
    upcoming = [line for line, r in zip(steps, plan.steps, strict=True) if _upcoming(r.id)]
    coming = upcoming[0] if upcoming and not (timeline and timeline.withdrawn) else None
    return PersonView(
        event=event,
        person=person,
        stage=STAGES.get(timeline.stage if timeline else person.stage, person.stage),
        paused=timeline.paused if timeline else person.paused,
        withdrawn=timeline.withdrawn if timeline else person.stage == "withdrawn",
        live=timeline is not None,
        steps=steps,
        next_title=coming.title if coming else "",
        next_due_at=coming.due_at if coming else None,
        waiting=[line.title for line in steps if line.status == STATUSES["sent"]],
        emails=emails,
    )


def _answer_words(a: AnswerOut | None, kind: StepKind) -> str:
    if a is None:
        return ""
    said = " - ".join(w for w in (choice_label(a.choice, kind) if a.choice else "", a.text) if w)
    if not a.shared:  # its words were removed by AnswerOut: say why the box is empty
        said = " - ".join(w for w in (said, "a private reflection (kept for the teacher)") if w)
    return f"{said} (late)" if a.late else said
