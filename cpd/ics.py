"""Term dates and closures from a school's published calendar (.ics), read with icalendar.

UK schools publish their year as all-day events: "Autumn Term", "October Half Term",
"INSET Day", "Christmas Holidays", "Bank Holiday". A long event named as a term becomes
a term; holidays, half-terms, INSET and training days, closures and bank holidays become
closures; anything else is listed as not understood, so the school sees what was left
out before anything is saved. All-day events end the day before their DTEND (RFC 5545).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from icalendar import Calendar

from cpd.calendar import DateRange

MAX_BYTES = 1024 * 1024
_TERM = re.compile(r"\bterm\b", re.IGNORECASE)
_NOT_A_TERM = re.compile(
    r"\b(half[- ]?term|end of|start of|begins|ends|last day|first day)\b", re.I
)
_CLOSED = re.compile(
    r"\b(holiday|holidays|half[- ]?term|inset|training day|staff development|closed|closure|"
    r"bank holiday|break|occasional day)\b",
    re.IGNORECASE,
)


class IcsRejected(ValueError):
    """Why a calendar file could not be read, in words for the school."""


@dataclass
class Understood:
    terms: list[DateRange] = field(default_factory=list)
    closures: list[DateRange] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise IcsRejected(f"an event has a date that is not a date: {value!r}")


def read_ics(data: bytes) -> Understood:
    if len(data) > MAX_BYTES:
        raise IcsRejected("The calendar file is over 1 MB.")
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise IcsRejected(f"This is not a calendar file we can read ({exc}).") from exc
    found = Understood()
    for event in calendar.walk("VEVENT"):
        name = " ".join(str(event.get("SUMMARY", "")).split())[:120]
        if event.get("DTSTART") is None:
            raise IcsRejected(f"The event {name!r} has no start date.")
        start = _day(event.decoded("DTSTART"))
        if event.get("DTEND") is not None:
            raw_end = event.decoded("DTEND")
            # An all-day event's DTEND is the day after it ends; a timed one ends that day.
            end = _day(raw_end) - timedelta(days=0 if isinstance(raw_end, datetime) else 1)
        else:
            end = start
        if end < start:
            raise IcsRejected(f"The event {name!r} ends before it starts ({start.isoformat()}).")
        span = DateRange(name=name, start=start, end=end)
        if _TERM.search(name) and not _NOT_A_TERM.search(name) and (end - start).days >= 14:
            found.terms.append(span)
        elif _CLOSED.search(name):
            found.closures.append(span)
        else:
            found.not_understood.append(f"{name or 'an event with no name'} ({start.isoformat()})")
    if not found.terms and not found.closures:
        raise IcsRejected("No term dates or holidays were found in this calendar file.")
    found.terms.sort(key=lambda t: t.start)
    found.closures.sort(key=lambda c: c.start)
    for before, after in zip(found.terms, found.terms[1:], strict=False):
        if after.start <= before.end:
            raise IcsRejected(f"The terms {before.name!r} and {after.name!r} overlap.")
    return found
