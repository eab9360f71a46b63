"""A CPD lead starts a follow-through from the dashboard: the people, then a preview,
then the start.

People come from three places at once: lines pasted into the form, the MIS export
(CSV or Excel, read as services/rosters.py reads it for the API), and people from the
school's earlier events. Every row gets a verdict, and an address listed twice is kept
once. The preview (services/preview.py) writes nothing and sends nothing; the start is
``services/triggers.trigger`` with a reference made when the preview was shown, so a
confirm posted twice starts one event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError
from sqlmodel import col, select
from temporalio.client import Client

from cpd.db import Db
from cpd.models import Event, Participant, School
from cpd.roster import Roster, parse_pasted
from services import plan_library, rosters, triggers
from services.errors import Invalid, NotFound, TooLarge
from services.evidence import Upload
from services.preview import preview
from services.schemas import EventCreate, EventOut, EventPreview, ParticipantIn
from services.tenancy import owned_event

EARLIER_EVENTS = 10  # the most recent events offered to pick people from
REFERENCE_PREFIX = "dashboard-"


@dataclass
class PersonRow:
    source: str  # where the lead put it: "Pasted line 3", "File row 4", "From: <event>"
    name: str
    email: str
    status: str  # ok | duplicate | error
    errors: list[str] = field(default_factory=list)


@dataclass
class EarlierEvent:
    id: str
    title: str
    event_date: date
    people: list[Participant]


@dataclass
class NewEventForm:
    title: str = ""
    event_date: str = ""
    plan_id: str = ""
    pasted: str = ""
    upload: Upload | None = None
    picked: list[str] = field(default_factory=list)  # participant ids
    everyone: list[str] = field(default_factory=list)  # event ids


@dataclass
class Draft:
    form: NewEventForm
    errors: dict[str, str] = field(default_factory=dict)  # field -> message
    rows: list[PersonRow] = field(default_factory=list)
    preview: EventPreview | None = None
    reference: str = ""
    too_large: bool = False  # the uploaded file was over the limit

    @property
    def good(self) -> list[PersonRow]:
        return [r for r in self.rows if r.status == "ok"]

    @property
    def bad(self) -> list[PersonRow]:
        return [r for r in self.rows if r.status == "error"]


async def earlier_events(db: Db, school_id: str) -> list[EarlierEvent]:
    events = await db.exec(
        select(Event)
        .where(Event.school_id == school_id)
        .order_by(col(Event.created_at).desc())
        .limit(EARLIER_EVENTS)
    )
    found = list(events.all())
    if not found:
        return []
    people = await db.exec(
        select(Participant)
        .where(col(Participant.event_id).in_([e.id for e in found]))
        .order_by(col(Participant.name))
    )
    by_event: dict[str, list[Participant]] = {e.id: [] for e in found}
    for p in people.all():
        by_event[p.event_id].append(p)
    return [EarlierEvent(e.id, e.title, e.event_date, by_event[e.id]) for e in found]


async def draft(
    db: Db, school: School, form: NewEventForm, now: datetime, per_week: int, base_url: str
) -> Draft:
    """Check the form and gather its people; with no field errors, the preview too.

    A foreign event or participant id raises NotFound: nothing of another school is shown.
    """
    out = Draft(form)
    plans = {c.id: c.plan for c in await plan_library.choices(db, school.id)}
    plan = plans.get(form.plan_id)
    if plan is None:
        out.errors["plan_id"] = "Choose one of the plans."
    title = " ".join(form.title.split())
    if not title or len(title) > 200:
        out.errors["title"] = "Give the event a title (at most 200 characters)."
    event_date = _date(form.event_date, school, now, out.errors)
    out.rows = await _people(db, school.id, form, out)
    if not out.rows and "file" not in out.errors:
        out.errors["people"] = "Add at least one person: paste, upload or pick."
    if out.errors or plan is None or event_date is None:
        return out
    sample = out.good[0].name if out.good else "Sam Teacher"
    out.preview = preview(
        school, plan, title, event_date, len(out.good), sample, now, per_week, base_url
    ).model_copy(update={"plan_id": form.plan_id})
    # Made once per preview page: the confirm carries it, so posting it twice starts one.
    out.reference = REFERENCE_PREFIX + secrets.token_urlsafe(12)
    return out


def _date(value: str, school: School, now: datetime, errors: dict[str, str]) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors["event_date"] = "Give the event's date, for example 2026-09-01."
        return None
    try:
        triggers.check_event_date(day, now)
    except Invalid as exc:
        errors["event_date"] = "The date " + exc.fields[0]["message"]
        return None
    return day


async def _people(db: Db, school_id: str, form: NewEventForm, out: Draft) -> list[PersonRow]:
    errors = out.errors
    rows: list[PersonRow] = []
    if form.pasted.strip():
        pasted = parse_pasted(form.pasted)
        if pasted.problems:
            errors["pasted"] = " ".join(pasted.problems)
        rows += _rows(pasted, "Pasted line")
    if form.upload is not None:
        try:
            roster = rosters.read_roster(form.upload.data)
        except TooLarge as exc:  # said next to the field; nothing of it is kept
            errors["file"] = exc.detail
            out.too_large = True
        else:
            if roster.problems:
                errors["file"] = " ".join(roster.problems)
            rows += _rows(roster, "File row")
    rows += await _picked(db, school_id, form)
    return _once_each(rows)


def _rows(roster: Roster, label: str) -> list[PersonRow]:
    return [PersonRow(f"{label} {r.row}", r.name, r.email, r.status, r.errors) for r in roster.rows]


async def _picked(db: Db, school_id: str, form: NewEventForm) -> list[PersonRow]:
    chosen: list[Participant] = []
    for event_id in dict.fromkeys(form.everyone):
        event = await owned_event(db, school_id, event_id)  # NotFound if not this school's
        found = await db.exec(select(Participant).where(Participant.event_id == event.id))
        chosen += found.all()
    ids = list(dict.fromkeys(form.picked))
    if ids:
        found = await db.exec(
            select(Participant).where(
                col(Participant.id).in_(ids), Participant.school_id == school_id
            )
        )
        people = list(found.all())
        if len(people) != len(ids):
            raise NotFound("No such person.")
        chosen += people
    titles = {e.id: e.title for e in await _events_of(db, {p.event_id for p in chosen})}
    return [PersonRow(f"From: {titles.get(p.event_id, '')}", p.name, p.email, "ok") for p in chosen]


async def _events_of(db: Db, ids: set[str]) -> list[Event]:
    if not ids:
        return []
    return list((await db.exec(select(Event).where(col(Event.id).in_(ids)))).all())


def _once_each(rows: list[PersonRow]) -> list[PersonRow]:
    """An address in two places (pasted and picked, say) is kept once, the first time."""
    seen: dict[str, str] = {}
    for row in rows:
        if row.status != "ok":
            continue
        key = row.email.lower()
        if key in seen:
            row.status = "duplicate"
            row.errors = [f"same email as {seen[key]}: listed once"]
        else:
            seen[key] = row.source
    return rows


async def start(
    client: Client,
    task_queue: str,
    db: Db,
    school: School,
    now: datetime,
    form: NewEventForm,
    reference: str,
    people: list[tuple[str, str]],
) -> EventOut:
    """Start what the preview showed: the same trigger as the API's, once per reference."""
    if not reference.startswith(REFERENCE_PREFIX):
        raise Invalid("This form is out of date: please preview again.")
    try:
        body = EventCreate(
            reference=reference,
            title=form.title,
            event_date=date.fromisoformat(form.event_date),
            plan_id=form.plan_id,
            participants=[ParticipantIn(name=n, email=e) for n, e in people],
        )
    except (ValidationError, ValueError) as exc:
        raise Invalid("This form could not be read: please preview again.") from exc
    return await triggers.trigger(client, task_queue, db, school, body, now)
