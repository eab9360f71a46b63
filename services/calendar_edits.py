"""A CPD lead's changes to the school calendar by hand: a term, a closure (a snow day, a
strike day) or an INSET day added or removed, and the nation and time zone.

Each change makes a whole new SchoolCalendar, validated as any calendar is (cpd/calendar.py),
so a change the calendar would refuse is refused here, field by field, and nothing is
saved. The caller commits and then re-plans running follow-throughs
(services/triggers.recalendar), as the .ics import does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import ValidationError

from cpd.calendar import DateRange, Nation, SchoolCalendar
from cpd.db import Db
from cpd.models import School
from services import admin
from services.errors import Invalid

Kind = Literal["term", "closure", "inset"]
KINDS: dict[str, str] = {"term": "Term", "closure": "Closure", "inset": "INSET day"}
NATIONS = get_args(Nation)
# Dates this far from today are almost certainly a mistyped year.
PLAUSIBLE = timedelta(days=2 * 366)


def _refuse(field: str, message: str) -> Invalid:
    return Invalid(message, [{"field": field, "message": message}])


def _day(value: str, field: str, errors: list[dict[str, str]]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(
            {"field": field, "message": "Give a real date, as day, month and year (2027-02-28)."}
        )
        return None


def _checked(calendar: SchoolCalendar, field: str, **changes: Any) -> SchoolCalendar:
    try:
        return SchoolCalendar.model_validate({**calendar.model_dump(), **changes})
    except ValidationError as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise _refuse(field, message[:1].upper() + message[1:] + ".") from exc


def add_dates(
    calendar: SchoolCalendar, kind: str, name: str, start: str, end: str, today: date
) -> SchoolCalendar:
    """The calendar with one more term, closure or INSET day (one day if no end is given)."""
    if kind not in KINDS:
        raise _refuse("kind", "Choose a term, a closure or an INSET day.")
    errors: list[dict[str, str]] = []
    first = _day(start, "start", errors)
    last = _day(end, "end", errors) if end.strip() else first
    for field, day in (("start", first), ("end", last)):
        if day is not None and abs(day - today) > PLAUSIBLE:
            errors.append(
                {
                    "field": field,
                    "message": f"{day:%-d %B %Y} is more than two years from today: "
                    "check the year.",
                }
            )
    if first and last and last < first and not errors:
        errors.append({"field": "end", "message": "The last day is before the first day."})
    if errors or first is None or last is None:
        raise Invalid("; ".join(e["message"] for e in errors), errors)
    name = " ".join(name.split())[:100]
    if kind == "inset":
        name = f"INSET day: {name}" if name else "INSET day"
    days = DateRange(name=name, start=first, end=last)
    if kind == "term":
        return _checked(calendar, "start", terms=[*calendar.terms, days])
    return _checked(calendar, "start", closures=[*calendar.closures, days])


def remove_dates(
    calendar: SchoolCalendar, kind: str, name: str, start: str, end: str
) -> SchoolCalendar:
    """The calendar without that term or closure; refused if it is not there (any more)."""
    ranges = calendar.terms if kind == "term" else calendar.closures
    try:
        gone = DateRange(name=name, start=date.fromisoformat(start), end=date.fromisoformat(end))
    except (ValueError, ValidationError):
        gone = None
    if gone is None or gone not in ranges:
        raise _refuse("remove", "Those dates are not in the calendar (already removed?).")
    kept = list(ranges)
    kept.remove(gone)
    field = "terms" if kind == "term" else "closures"
    return _checked(calendar, "remove", **{field: kept})


def set_place(calendar: SchoolCalendar, nation: str, timezone: str) -> SchoolCalendar:
    """The calendar with another nation (whose bank holidays apply) and time zone."""
    if nation and nation not in NATIONS:
        raise _refuse("nation", "Choose a nation from the list.")
    return _checked(calendar, "timezone", nation=nation or None, timezone=timezone.strip())


async def add(
    db: Db, school: School, kind: str, name: str, start: str, end: str, now: datetime
) -> None:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    today = now.astimezone(calendar.zone).date()
    await admin.set_calendar(db, school, add_dates(calendar, kind, name, start, end, today))


async def remove(db: Db, school: School, kind: str, name: str, start: str, end: str) -> None:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    await admin.set_calendar(db, school, remove_dates(calendar, kind, name, start, end))


async def place(db: Db, school: School, nation: str, timezone: str) -> None:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    await admin.set_calendar(db, school, set_place(calendar, nation, timezone))
