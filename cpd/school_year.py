"""The school year a school did not type in: its nation's bank holidays, and the usual
school holidays as an estimate wherever no term dates were entered.

Looked up by activities (the calendar a workflow starts with, and re-reads on waking),
never in workflow code: a new release of the ``holidays`` library changes what the next
lookup returns, not what a recorded history replays.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays
from dateutil.easter import easter

from cpd.calendar import MAX_CLOSURES, DateRange, Nation, SchoolCalendar

SUBDIVISION: dict[Nation, str] = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}
BANK_HOLIDAY = "Bank holiday: "
ESTIMATED = "Estimated: "
# How far a calendar looks ahead: beyond the longest wait a workflow plans in one go.
LOOK_BACK, LOOK_AHEAD = timedelta(days=14), timedelta(days=430)


def bank_holidays(nation: Nation, start: date, end: date) -> list[DateRange]:
    return [
        DateRange(name=f"{BANK_HOLIDAY}{name}", start=day, end=day)
        for year in range(start.year, end.year + 1)
        for day, name in _bank_holidays_in(nation, year)
        if start <= day <= end
    ]


@functools.lru_cache(maxsize=64)
def _bank_holidays_in(nation: Nation, year: int) -> tuple[tuple[date, str], ...]:
    # Kept for the life of the process: every workflow wake looks its year up again, and
    # building the library's table costs milliseconds; a new release means a new process.
    found = holidays.UnitedKingdom(subdiv=SUBDIVISION[nation], years=year)
    return tuple(sorted(found.items()))


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=day.weekday())


def _week(name: str, monday: date, days: int = 5) -> DateRange:
    return DateRange(name=f"{ESTIMATED}{name}", start=monday, end=monday + timedelta(days - 1))


def estimated_holidays(nation: Nation, autumn: int) -> list[DateRange]:
    """The usual holidays of the school year that starts in the autumn of ``autumn``:
    a guess from each nation's common pattern, for a school that has not said."""
    spring = autumn + 1
    sunday = easter(spring)
    if nation == "scotland":
        return [
            _week("October week", _monday_on_or_after(date(autumn, 10, 12))),
            DateRange(
                name=f"{ESTIMATED}Christmas", start=date(autumn, 12, 21), end=date(spring, 1, 5)
            ),
            _week("February mid-term", _monday_on_or_after(date(spring, 2, 12)), days=2),
            DateRange(
                name=f"{ESTIMATED}Easter",
                start=sunday - timedelta(days=9),
                end=sunday + timedelta(days=8),
            ),
            DateRange(
                name=f"{ESTIMATED}summer", start=date(spring, 6, 27), end=date(spring, 8, 16)
            ),
        ]
    if nation == "northern_ireland":
        summer = (date(spring, 7, 1), date(spring, 8, 31))
        october = _monday_on_or_after(date(autumn, 10, 27))
    else:
        summer = (date(spring, 7, 21), date(spring, 9, 2))
        october = _monday_on_or_after(date(autumn, 10, 24))
    return [
        _week("October half-term", october),
        DateRange(name=f"{ESTIMATED}Christmas", start=date(autumn, 12, 20), end=date(spring, 1, 3)),
        _week("February half-term", _monday_on_or_after(date(spring, 2, 12))),
        DateRange(
            name=f"{ESTIMATED}Easter",
            start=sunday - timedelta(days=9),
            end=sunday + timedelta(days=8),
        ),
        _week("May half-term", _last_monday(spring, 5)),
        DateRange(name=f"{ESTIMATED}summer", start=summer[0], end=summer[1]),
    ]


def effective(calendar: SchoolCalendar, today: date) -> SchoolCalendar:
    """The school's calendar with what it did not type in: its nation's bank holidays,
    and estimated holidays wherever no entered term covers the day (all year, for a
    school with no term dates; after its last entered term, otherwise)."""
    if calendar.nation is None:
        return calendar
    start, end = today - LOOK_BACK, today + LOOK_AHEAD
    added = bank_holidays(calendar.nation, start, end)
    first = min((t.start for t in calendar.terms), default=None)
    last = max((t.end for t in calendar.terms), default=None)
    for autumn in range(start.year - 1, end.year + 1):
        for span in estimated_holidays(calendar.nation, autumn):
            if span.end < start or span.start > end:
                continue
            if first is not None and last is not None and first <= span.start and span.end <= last:
                continue  # the school's own terms say when it is closed here
            added.append(span)
    closures = [*calendar.closures, *added]
    if len(closures) > MAX_CLOSURES:
        closures = _within_cap(closures, start, end)
    return calendar.model_copy(update={"closures": closures})


def _within_cap(closures: list[DateRange], start: date, end: date) -> list[DateRange]:
    """The closed days that matter now in fewer spans, so a school near the cap on
    entered closures still gets a calendar the workflow can read: spans over before
    ``start`` close no day a step could be sent on, overlapping or touching spans join
    into one, and (only if still too many) spans after ``end`` wait for a later reading."""
    joined: list[DateRange] = []
    for span in sorted((c for c in closures if c.end >= start), key=lambda c: c.start):
        last = joined[-1] if joined else None
        if last is not None and span.start <= last.end + timedelta(days=1):
            joined[-1] = last.model_copy(update={"end": max(last.end, span.end)})
        else:
            joined.append(span)
    if len(joined) > MAX_CLOSURES:
        soon = [span for span in joined if span.start <= end]
        joined = soon + [span for span in joined if span.start > end][: MAX_CLOSURES - len(soon)]
    return joined[:MAX_CLOSURES]


def warnings(calendar: SchoolCalendar, today: date, until: date | None = None) -> list[str]:
    """What a CPD lead should be told: where emails only avoid estimated holidays."""
    if calendar.nation is None:
        return []
    last = max((t.end for t in calendar.terms), default=None)
    if last is None:
        return [
            "No term dates are entered, so emails avoid estimated school holidays and bank "
            "holidays. Enter your term dates (PUT /v1/school/calendar) so they follow yours."
        ]
    if until is not None and until > last:
        return [
            f"Your entered term dates end on {last.isoformat()}; after that, emails avoid "
            "estimated school holidays until you enter next year's dates."
        ]
    return []
