"""A school's calendar: when it is acceptable to email a teacher.

Pure and deterministic, so workflows may call it. Every due time a workflow
computes goes through ``next_open_slot``: nothing is sent at weekends, in
holidays (INSET days included) or outside the school's send window, in the
school's own time zone, across DST changes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    JsonValue,
    WithJsonSchema,
    field_validator,
    model_validator,
)

# Longer than any summer holiday; a calendar closed for longer is refused.
MAX_CLOSED_DAYS = 90
# Entered closures, and what the school year adds to them (cpd/school_year.effective).
MAX_CLOSURES = 500
# With closures capped above, an open day is always found well within this.
_MAX_SEARCH_DAYS = 400


_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _clock_time(value: Any) -> Any:
    # A time of day in the school's own zone: "HH:MM" or "HH:MM:SS", no offset (the zone
    # says it) and no fractions. Anything else would be refused later, or compared with
    # an offset-free window and fail; refuse it here, as the documented pattern says.
    # A number would be read as seconds past midnight UTC: an offset again.
    if not isinstance(value, str | time) or isinstance(value, str) and not re.match(_CLOCK, value):
        raise ValueError("must be a time of day like 07:30 or 07:30:00, without a time zone")
    if isinstance(value, time) and value.tzinfo is not None:
        raise ValueError("must be a time of day without a time zone")
    if isinstance(value, time) and value.microsecond:
        # Written out as "08:00:00.000001", which the pattern above refuses on reading
        # back: a saved plan or calendar would no longer load.
        raise ValueError("must be a time of day in whole seconds")
    return value


# What the API reads and writes: "07:30:00" (FastAPI's `format: time` would promise an
# RFC 3339 time with an offset, which these are not).
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": _CLOCK, "examples": ["07:30:00"]}),
]


def _a_day(value: Any) -> Any:
    # Pydantic would read a number as seconds since 1970; the schema says a date, written.
    if isinstance(value, int | float):
        raise ValueError("must be a date like 2026-09-01")
    return value


Day = Annotated[date, BeforeValidator(_a_day)]


def _not_a_bool(value: Any) -> Any:
    # Pydantic would read true as 1; a JSON boolean is not a number (the schema says integer).
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


NOT_A_BOOL = BeforeValidator(_not_a_bool)
Whole = Annotated[int, NOT_A_BOOL]


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zones a school may name (as its schema lists them): read once, when
    first needed, not at import (workflows import this module)."""
    # Not the machine's own setting ("localtime") or tzdata's placeholders.
    return frozenset(available_timezones() - {"localtime", "Factory", "posixrules"})


class DateRange(BaseModel):
    """An inclusive run of days, e.g. a term, a holiday, a half-term or one INSET day."""

    name: str = Field(default="", max_length=120)
    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"{self.name or 'date range'!r} ends before it starts")
        return self

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


Nation = Literal["england", "wales", "scotland", "northern_ireland"]


class SchoolCalendar(BaseModel):
    # Whose bank holidays apply, and whose usual school holidays are assumed where no term
    # dates were entered (cpd/school_year.py). None: neither (an always-open test school).
    nation: Nation | None = "england"
    timezone: str = Field(
        default="Europe/London",
        json_schema_extra=lambda schema: schema.update(enum=list[JsonValue](sorted(time_zones()))),
    )
    working_days: list[Whole] = Field(
        default=[0, 1, 2, 3, 4],
        description="0=Monday .. 6=Sunday",
        # What _weekdays checks, with its own message.
        json_schema_extra={"minItems": 1, "items": {"type": "integer", "minimum": 0, "maximum": 6}},
    )
    send_window_start: ClockTime = time(7, 30)
    send_window_end: ClockTime = Field(
        default=time(17, 30),
        description="After send_window_start: the window is within one day",
        examples=["17:30:00"],
    )
    # Term dates, if given: every day between them is a holiday (Christmas,
    # Easter, summer) without listing each one. Closures remove days inside terms.
    # Past the last known term only working days and closures apply, so a
    # year-long plan keeps going when next year's dates are not entered yet.
    terms: list[DateRange] = Field(default_factory=list, max_length=60)
    closures: list[DateRange] = Field(default_factory=list, max_length=MAX_CLOSURES)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in time_zones():
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value):
            raise ValueError("working_days needs at least one day, each 0 (Mon) to 6 (Sun)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _window(self) -> SchoolCalendar:
        if self.send_window_end <= self.send_window_start:
            raise ValueError("send_window_end must be after send_window_start")
        return self

    @model_validator(mode="after")
    def _never_closed_for_long(self) -> SchoolCalendar:
        # A workflow must always find its next open slot: refuse a calendar
        # that closes the school for months, almost certainly a typo in a year.
        spans = sorted((c.start, c.end) for c in self.closures)
        ordered = sorted(self.terms, key=lambda t: t.start)
        spans += [
            (a.end + timedelta(days=1), b.start - timedelta(days=1))
            for a, b in zip(ordered, ordered[1:], strict=False)
            if b.start > a.end + timedelta(days=1)
        ]
        start = end = None
        for s, e in sorted(spans):
            if end is not None and self._only_days_off_between(end, s):
                end = max(end, e)
            else:
                start, end = s, e
            if start is not None and (end - start).days + 1 > MAX_CLOSED_DAYS:
                raise ValueError(
                    f"the school would be closed for more than {MAX_CLOSED_DAYS} days "
                    f"in a row from {start}: check the years of the term and closure dates"
                )
        return self

    def _only_days_off_between(self, end: date, start: date) -> bool:
        """True if every day after ``end`` and before ``start`` is a day off (a weekend)."""
        day = end + timedelta(days=1)
        while day < start:
            if day.weekday() in self.working_days:
                return False
            day += timedelta(days=1)
        return True

    @classmethod
    def always_open(cls, timezone: str = "Europe/London") -> SchoolCalendar:
        """Every day, all day: the development school, so a trigger shows its email at once."""
        return cls(
            nation=None,
            timezone=timezone,
            working_days=[0, 1, 2, 3, 4, 5, 6],
            send_window_start=time(0, 0),
            send_window_end=time(23, 59, 59),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open_day(self, day: date) -> bool:
        if day.weekday() not in self.working_days:
            return False
        if self._outside_known_terms(day):
            return False
        return not any(day in closure for closure in self.closures)

    def _outside_known_terms(self, day: date) -> bool:
        if not self.terms:
            return False
        if day < min(t.start for t in self.terms) or day > max(t.end for t in self.terms):
            return False
        return not any(day in term for term in self.terms)

    def next_open_slot(self, when: datetime) -> datetime:
        """The first moment at or after ``when`` that is inside the send window, in UTC."""
        if when.tzinfo is None:
            raise ValueError("next_open_slot needs an aware datetime")
        # Compared as instants: aware datetimes sharing a tzinfo compare by wall time,
        # which would put the second 01:30 of a fall-back night before the first.
        when = when.astimezone(UTC)
        zone = self.zone
        local = when.astimezone(zone)
        day = local.date()
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_open_day(day):
                slot = self._first_in_window(day, when)
                if slot is not None:
                    return slot
            day += timedelta(days=1)
        raise ValueError("the school calendar has no open day within a year")

    def _first_in_window(self, day: date, when: datetime) -> datetime | None:
        """The first moment of ``day`` at or after ``when`` whose wall clock reads inside
        the send window, or None. The wall clock only rises, except where the clocks
        change, so such a moment is ``when`` itself, the window's opening time (either
        reading of it, on a night it happens twice) or a clock change; each is checked
        by its wall time, so a skipped or repeated hour never sends outside the window."""
        zone = self.zone
        opening = datetime.combine(day, self.send_window_start)
        candidates = [when, *_clock_changes(day, zone)]
        candidates += [opening.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)]
        for moment in sorted(candidates):
            local = moment.astimezone(zone)
            wall = local.time().replace(tzinfo=None, fold=0)
            if (
                moment >= when
                and local.date() == day
                and self.send_window_start <= wall < self.send_window_end
            ):
                return moment
        return None

    def at_local(self, day: date, at: time) -> datetime:
        """A local wall-clock time on ``day`` as an aware UTC datetime."""
        return _local(day, at, self.zone).astimezone(UTC)

    def add_open_days(self, when: datetime, days: int) -> datetime:
        """``days`` working days after ``when`` (same local time), then the next open slot."""
        if when.tzinfo is None:
            raise ValueError("add_open_days needs an aware datetime")
        local = when.astimezone(self.zone)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_open_day(day):
                remaining -= 1
        return self.next_open_slot(_local(day, local.time(), self.zone))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall time as an instant. One skipped by a spring-forward is read with the offset
    before the change, so it lands as far past the change as it was into the gap
    (01:30 in London's gap is 02:30 BST; 02:10 in Lord Howe's 30-minute gap, 02:40).
    A repeated wall time is its first occurrence."""
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _clock_changes(day: date, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants around ``day`` at which ``zone``'s offset changes (to the second)."""
    first = datetime.combine(day, time(0, 0), tzinfo=UTC) - timedelta(hours=30)
    last = first + timedelta(hours=60)
    if first.astimezone(zone).utcoffset() == last.astimezone(zone).utcoffset():
        return []  # nearly every day: no change within a day either side
    found = []
    for k in range(10):
        lo, hi = first + timedelta(hours=6 * k), first + timedelta(hours=6 * (k + 1))
        if lo.astimezone(zone).utcoffset() == hi.astimezone(zone).utcoffset():
            continue
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) // 2
            if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                lo = mid
            else:
                hi = mid
        found.append(hi.replace(microsecond=0))
    return found
