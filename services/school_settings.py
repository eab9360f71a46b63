"""A school's own settings as its CPD lead changes them on the dashboard: the email
branding (with a sample email rendered as teachers will get it), and when and how often
its teachers are emailed (send window, weekly budget).

Saving the send window re-plans running follow-throughs (the caller runs
services/triggers.recalendar, as for any calendar change); the budget is read by the
budget activity at each send (activities/budget.py), so it applies from the next email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from cpd.branding import Branding
from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.calendar import SchoolCalendar
from cpd.db import Db
from cpd.models import School
from cpd.plans import Plan, StepKind
from cpd.security import Links
from emails.content import HEADLINES, step_email_context
from emails.message import build_message
from emails.render import EmailRenderer
from services import admin, plan_library
from services.errors import Invalid

# The most a school may send one teacher in a week: past this the budget protects nobody.
MAX_BUDGET = 10
SAMPLE_TEACHER = "Sam Jones"
SAMPLE_EVENT = "Questioning INSET"
SAMPLE_PLAN = "In Year 9 science on Tuesdays, every pupil thinks, then pairs, before anyone says."
# Links in the sample go nowhere: it is a picture of the email, not one to answer.
_NOWHERE = "#email-preview"
_RENDERER = EmailRenderer()
_MAIN = re.compile(r"<main[^>]*>(.*)</main>", re.DOTALL)


# ----- branding -----

BRANDING_FIELDS = ("sender_name", "sign_off", "signature", "logo_url", "colour")


def branding_from_form(form: dict[str, str]) -> Branding:
    """The branding a form describes; refused field by field (named as the form's)."""
    overrides: dict[str, dict[str, str]] = {}
    for kind in StepKind:
        headline = form.get(f"headline-{kind.value}", "").strip()
        intro = form.get(f"intro-{kind.value}", "").strip()
        if headline or intro:
            overrides[kind.value] = {"headline": headline, "intro": intro}
    raw: dict[str, Any] = {f: form.get(f, "").strip() for f in BRANDING_FIELDS}
    raw["logo_url"] = raw["logo_url"] or None
    raw["colour"] = raw["colour"] or Branding().colour
    raw["copy_overrides"] = overrides
    try:
        return Branding.model_validate(raw)
    except ValidationError as exc:
        fields = [
            {"field": _field_name(e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        raise Invalid("; ".join(f["message"] for f in fields), fields) from exc


def _field_name(loc: tuple[int | str, ...]) -> str:
    if loc and loc[0] == "copy_overrides" and len(loc) == 3:
        return f"{loc[2]}-{loc[1]}"
    return str(loc[0]) if loc else ""


def branding_form(branding: Branding) -> dict[str, str]:
    """The form's values for a saved branding."""
    form = {f: str(getattr(branding, f) or "") for f in BRANDING_FIELDS}
    for kind, override in branding.copy_overrides.items():
        form[f"headline-{kind.value}"] = override.headline
        form[f"intro-{kind.value}"] = override.intro
    return form


async def save_branding(db: Db, school: School, form: dict[str, str]) -> Branding:
    branding = branding_from_form(form)
    await admin.set_branding(db, school, branding)
    return branding


@dataclass(frozen=True)
class SampleEmail:
    sender: str  # the From header as teachers' email programs show it
    subject: str
    text: str
    body_html: str  # the email's content, every value escaped by the renderer


def sample_email(mail_from: str, school: School, branding: Branding, kind: StepKind) -> SampleEmail:
    """A step's email as a teacher of this school would get it, with this branding: the
    same renderer and message builder the send activity uses."""
    step = next(s for s in _sample_plan().steps if s.kind is kind)
    links = Links(answer=_NOWHERE, pause=_NOWHERE, portfolio=_NOWHERE)
    context = step_email_context(
        step,
        "initial",
        links,
        SAMPLE_PLAN,
        branding,
        teacher_name=SAMPLE_TEACHER,
        event_title=SAMPLE_EVENT,
        school_name=school.name,
    )
    rendered = _RENDERER.render("step", context)
    message = build_message(
        rendered, mail_from=mail_from, sender_name=branding.sender_name, to="sam@example.org"
    )
    found = _MAIN.search(rendered.html)
    body = found.group(1) if found else ""
    # Inside a page the email's heading sits under the page's own headings.
    body = body.replace("<h1 ", "<h3 ").replace("</h1>", "</h3>")
    return SampleEmail(str(message["From"]), rendered.subject, rendered.text, body)


def _sample_plan() -> Plan:
    return BUILTIN_PLANS[DEFAULT_PLAN_ID]


def sample_kinds() -> list[tuple[str, str]]:
    """The step kinds the sample can show, with their usual headline."""
    kinds = {s.kind for s in _sample_plan().steps}
    return [(k.value, HEADLINES[k]) for k in StepKind if k in kinds]


# ----- send window and weekly budget -----


@dataclass(frozen=True)
class Sending:
    window_start: time
    window_end: time
    budget: int
    budget_is_default: bool
    least_budget: int
    most_budget: int


def most_budget(default_budget: int) -> int:
    # An operator may run the service with a larger usual budget than a school may pick;
    # a school may always keep that one.
    return max(MAX_BUDGET, default_budget)


async def least_budget(db: Db, school_id: str) -> int:
    """The most first emails any of the school's plans sends in one week: a smaller budget
    would push its steps later week after week."""
    most = 1
    for choice in await plan_library.choices(db, school_id):
        offsets = sorted(s.offset_days for s in choice.plan.steps)
        for first in offsets:
            most = max(most, sum(1 for o in offsets if first <= o < first + 7))
    return most


async def sending(db: Db, school: School, default_budget: int) -> Sending:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    return Sending(
        calendar.send_window_start,
        calendar.send_window_end,
        school.email_budget_per_week or default_budget,
        school.email_budget_per_week is None,
        await least_budget(db, school.id),
        most_budget(default_budget),
    )


async def save_sending(
    db: Db, school: School, start: str, end: str, budget: str, default_budget: int
) -> bool:
    """Save the send window and the weekly budget; True if the window changed (running
    follow-throughs then need re-planning). Nothing is saved if any value is refused."""
    errors: list[dict[str, str]] = []
    begins, ends = _time(start, "window_start", errors), _time(end, "window_end", errors)
    if begins and ends and ends <= begins:
        errors.append(
            {"field": "window_end", "message": "The latest time must be after the earliest."}
        )
    elif begins and ends and _minutes(ends) - _minutes(begins) < 60:
        errors.append(
            {"field": "window_end", "message": "Leave at least an hour between the two times."}
        )
    least = await least_budget(db, school.id)
    try:
        per_week = int(budget.strip())
    except ValueError:
        per_week = 0
    most = most_budget(default_budget)
    if not least <= per_week <= most:
        message = (
            f"Choose a number from {least} to {most}: your plans send up to {least} "
            "emails in a week, and fewer would delay their steps week after week."
        )
        errors.append({"field": "budget", "message": message})
    if errors or begins is None or ends is None:
        raise Invalid("; ".join(e["message"] for e in errors), errors)
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    moved = (calendar.send_window_start, calendar.send_window_end) != (begins, ends)
    if moved:
        changed = calendar.model_copy(update={"send_window_start": begins, "send_window_end": ends})
        await admin.set_calendar(db, school, SchoolCalendar.model_validate(changed.model_dump()))
    school.email_budget_per_week = per_week
    await db.merge(school)
    return moved


def _time(value: str, field: str, errors: list[dict[str, str]]) -> time | None:
    # A browser's time field sends "07:30", or "07:30:00" where it shows seconds.
    for shape in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), shape).time()
        except ValueError:
            continue
    errors.append({"field": field, "message": "Give a time like 07:30."})
    return None


def _minutes(at: time) -> int:
    return int(timedelta(hours=at.hour, minutes=at.minute).total_seconds() // 60)
