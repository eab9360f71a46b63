"""What a follow-through will send, and when, before anything starts.

The dates come from cpd/schedule.py's ``forecast``: the participant workflow's own timing
rules, walked over the plan with the calendar the workflow would start with and re-read.
The wording is the step email as the email activity renders it, with the school's
branding, for one sample teacher. Nothing is written and nothing is sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import ValidationError

from cpd import school_year
from cpd.branding import Branding
from cpd.calendar import SchoolCalendar
from cpd.db import Db
from cpd.models import School
from cpd.plans import Plan
from cpd.roster import Roster
from cpd.schedule import ForecastStep, forecast
from cpd.security import Links
from emails.content import step_email_context
from emails.render import EmailRenderer
from services import plan_library, rosters
from services.errors import Invalid
from services.schemas import EventCreate, EventPreview, ParticipantIn, PreviewStep
from services.triggers import check_event_date, listed_again

_RENDERER = EmailRenderer()

DECIDED_LATER = [
    "Reminders go only if the teacher has not answered by then.",
    "A teacher who pauses, or answers “not yet” or “I need help”, changes their own dates "
    "from then on (an answer asking for help brings one extra email in open hours).",
    "Holidays or closures you enter later move the emails still to come.",
    "In a large event, emails go out at a steady rate, so some teachers get theirs a few "
    "minutes after the time shown.",
    "Each teacher gets at most the weekly number of emails across all their "
    "follow-throughs: if other follow-throughs fill a week, a step waits for the next "
    "week and a reminder is left out.",
]


async def preview_roster(
    db: Db,
    school: School,
    roster: Roster,
    title: str,
    event_date: date,
    plan_id: str,
    now: datetime,
    per_week: int,
    base_url: str,
) -> EventPreview:
    """``POST /v1/events/preview.csv``: the preview for the roster's good rows, and every
    row's verdict (a roster with errors would start nothing: see ``roster.ok``)."""
    people = [ParticipantIn(name=r.name, email=r.email) for r in roster.people]
    # Checked as a trigger is; a roster with nobody good in it still gets its dates and
    # verdicts, worded for a stand-in teacher.
    try:
        body = EventCreate(
            reference="preview", title=title, event_date=event_date, plan_id=plan_id,
            participants=people or [ParticipantIn(name="Sam Teacher", email="sam@example.org")],
        )  # fmt: skip
    except ValidationError as exc:
        raise Invalid(str(exc.errors()[0]["msg"])) from exc
    out = await preview_event(db, school, body, now, per_week, base_url)
    return out.model_copy(update={"participants": len(people), "roster": rosters.report(roster)})


async def preview_event(
    db: Db, school: School, body: EventCreate, now: datetime, per_week: int, base_url: str
) -> EventPreview:
    """``POST /v1/events/preview``: the same body as a trigger, checked the same way."""
    check_event_date(body.event_date, now)
    plan = await plan_library.resolve(db, school.id, body)
    sample = body.participants[0].name if body.participants else "Sam Teacher"
    out = preview(
        school, plan, body.title, body.event_date, len(body.participants), sample, now,
        per_week, base_url,
    )  # fmt: skip
    # Named as the event would record it: a school's plan with its version.
    warnings = out.warnings + listed_again(body.listed_again)
    return out.model_copy(update={"plan_id": plan_library.id_of(body, plan), "warnings": warnings})


def preview(
    school: School,
    plan: Plan,
    title: str,
    event_date: date,
    participants: int,
    sample_name: str,
    now: datetime,
    per_week: int,
    base_url: str,
) -> EventPreview:
    entered = SchoolCalendar.model_validate_json(school.calendar_json)
    # As the workflow gets them: the calendar the fan-out starts it with (activities/
    # fanout.py) and the one it re-reads on each waking (activities/records.py).
    start = school_year.effective(entered, now.astimezone(UTC).date())

    def calendar_at(at: datetime) -> SchoolCalendar:
        return school_year.effective(entered, at.astimezone(entered.zone).date())

    # The school's own weekly budget if it chose one, as activities/budget.py reads it.
    per_week = school.email_budget_per_week or per_week
    steps = forecast(plan, event_date, start, now, calendar_at, per_week)
    branding = Branding.model_validate_json(school.branding_json)
    zone = entered.zone
    out = []
    for item in steps:
        subject, text = _wording(item, branding, school.name, title, sample_name, base_url)
        local = item.send_at.astimezone(zone) if item.send_at else None
        out.append(
            PreviewStep(
                step_id=item.step.id,
                title=item.step.display_title,
                kind=item.step.kind,
                status=item.status,
                send_at=local,
                local_date=local.date() if local else None,
                local_time=local.strftime("%H:%M") if local else None,
                planned_date=event_date + timedelta(days=item.step.offset_days),
                deferred=item.deferred,
                at_once=item.send_at == now,
                reminders=[r.astimezone(zone) for r in item.reminders],
                closes_at=item.closes_at.astimezone(zone) if item.closes_at else None,
                subject=subject,
                text=text,
            )
        )
    last = max((s.send_at for s in steps if s.send_at), default=now)
    today = now.astimezone(zone).date()
    return EventPreview(
        plan_id=plan.id,
        plan_name=plan.name,
        timezone=entered.timezone,
        participants=participants,
        steps=out,
        warnings=school_year.warnings(entered, today, until=last.astimezone(zone).date()),
        decided_later=DECIDED_LATER,
    )


def _wording(
    item: ForecastStep, branding: Branding, school_name: str, title: str, name: str, base: str
) -> tuple[str, str]:
    """The step's email as the email activity renders it (activities/email.py)."""
    base = base.rstrip("/")
    # Each teacher's real email carries their own signed links; these stand in for them.
    links = Links(f"{base}/a/example", f"{base}/u/example", f"{base}/p/example")
    context = step_email_context(
        item.step,
        "initial",
        links,
        "",
        branding,
        teacher_name=name,
        event_title=title,
        school_name=school_name,
    )
    rendered = _RENDERER.render("step", context)
    return rendered.subject, rendered.text
