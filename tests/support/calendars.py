"""An English school year for tests, and an independent oracle for send times.

The calendar goes to the app as a ``SchoolCalendar``; the oracle answers
"when should this have been sent?" from the same dates with its own few lines
of logic, so a test compares the workflow against something it did not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from cpd.calendar import DateRange, SchoolCalendar

LONDON = ZoneInfo("Europe/London")
OPENS, CLOSES = time(7, 30), time(17, 30)


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def week_of(day: date) -> DateRange:
    monday = day - timedelta(days=day.weekday())
    return DateRange(name="half-term", start=monday, end=monday + timedelta(days=4))


@dataclass
class SchoolYear:
    calendar: SchoolCalendar
    closed: set[date]

    def is_open(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closed

    def expected_send(self, nominal: datetime) -> datetime:
        """The first local moment at or after ``nominal`` that is in the send window."""
        local = nominal.astimezone(LONDON)
        day = local.date()
        if self.is_open(day) and local.time() < CLOSES:
            return max(local, datetime.combine(day, OPENS, LONDON))
        day += timedelta(days=1)
        while not self.is_open(day):
            day += timedelta(days=1)
        return datetime.combine(day, OPENS, LONDON)

    def open_days_after(self, when: datetime, n: int) -> datetime:
        local = when.astimezone(LONDON)
        day = local.date()
        while n:
            day += timedelta(days=1)
            n -= self.is_open(day)
        return datetime.combine(day, local.time(), LONDON)


def english_school_years(first_autumn: int, years: int = 2) -> SchoolYear:
    """Terms with Christmas, Easter and summer holidays, half-terms, an INSET day, bank holiday."""
    terms, closures = [], []
    for y in range(first_autumn, first_autumn + years):
        e = easter(y + 1)
        terms += [
            DateRange(name=f"autumn {y}", start=date(y, 9, 3), end=date(y, 12, 18)),
            DateRange(name=f"spring {y + 1}", start=date(y + 1, 1, 5), end=e - timedelta(days=3)),
            DateRange(name=f"summer {y + 1}", start=e + timedelta(days=9), end=date(y + 1, 7, 21)),
        ]
        closures += [
            week_of(date(y, 10, 28)),
            week_of(date(y + 1, 2, 17)),
            week_of(date(y + 1, 5, 28)),
            DateRange(name="INSET", start=date(y, 10, 16), end=date(y, 10, 16)),
            DateRange(
                name="bank holiday", start=_first_monday(y + 1, 5), end=_first_monday(y + 1, 5)
            ),
        ]
    calendar = SchoolCalendar(
        timezone="Europe/London",
        send_window_start=OPENS,
        send_window_end=CLOSES,
        terms=terms,
        closures=closures,
    )
    first, last = terms[0].start, terms[-1].end
    # England's bank holidays close the school too, entered or not.
    closed: set[date] = set(
        holidays.UnitedKingdom(subdiv="ENG", years=range(first.year, last.year + 1))
    )
    day = first
    while day <= last:
        in_term = any(t.start <= day <= t.end for t in terms)
        if not in_term or any(c.start <= day <= c.end for c in closures):
            closed.add(day)
        day += timedelta(days=1)
    return SchoolYear(calendar, closed)


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)
