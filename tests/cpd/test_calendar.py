"""SchoolCalendar: when an email may go out, in the school's own time zone.

Pure unit tests, no servers. The school is an English school in Europe/London
with the 2026-27 year below; every expected slot is asserted both as a UTC
instant and as the wall-clock time (and UTC offset) the school sees.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from cpd.calendar import MAX_CLOSED_DAYS, DateRange, SchoolCalendar

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A wall-clock time in London (GMT in winter, BST in summer)."""
    return datetime(y, m, d, h, mi, tzinfo=LONDON)


def ny(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A wall-clock time in New York (EST in winter, EDT in summer)."""
    return datetime(y, m, d, h, mi, tzinfo=NEW_YORK)


def utc(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def assert_slot(slot: datetime, expected_utc: datetime, expected_wall: datetime) -> None:
    """``slot`` is a UTC datetime at ``expected_utc`` that reads ``expected_wall`` locally."""
    assert expected_utc == expected_wall, "the test's own UTC and wall-clock times disagree"
    assert slot.tzinfo is UTC
    assert slot == expected_utc
    wall = slot.astimezone(expected_wall.tzinfo)
    assert wall.replace(tzinfo=None) == expected_wall.replace(tzinfo=None)
    assert wall.utcoffset() == expected_wall.utcoffset()


# ---- the school year 2026-27 --------------------------------------------------

AUTUMN = DateRange(name="Autumn term", start=date(2026, 9, 2), end=date(2026, 12, 18))
SPRING = DateRange(name="Spring term", start=date(2027, 1, 5), end=date(2027, 3, 26))
SUMMER = DateRange(name="Summer term", start=date(2027, 4, 12), end=date(2027, 7, 21))
CLOSURES = [
    DateRange(name="Autumn half-term", start=date(2026, 10, 26), end=date(2026, 10, 30)),
    DateRange(name="INSET day", start=date(2027, 1, 4), end=date(2027, 1, 4)),
    DateRange(name="Spring half-term", start=date(2027, 2, 15), end=date(2027, 2, 19)),
    DateRange(name="Early May bank holiday", start=date(2027, 5, 3), end=date(2027, 5, 3)),
    DateRange(name="Summer half-term", start=date(2027, 5, 31), end=date(2027, 6, 4)),
]


def school_year(**changes: Any) -> SchoolCalendar:
    """The London school's 2026-27 calendar, with any field replaced by ``changes``."""
    fields: dict[str, Any] = {
        "timezone": "Europe/London",
        "working_days": [0, 1, 2, 3, 4],
        "send_window_start": time(7, 30),
        "send_window_end": time(17, 30),
        "terms": [AUTUMN, SPRING, SUMMER],
        "closures": CLOSURES,
    }
    fields.update(changes)
    return SchoolCalendar(**fields)


@pytest.fixture
def school() -> SchoolCalendar:
    return school_year()


# ---- the send window and weekends ----------------------------------------------


def test_a_time_inside_the_window_is_unchanged(school: SchoolCalendar) -> None:
    # Tuesday 8 September 2026, BST.
    slot = school.next_open_slot(local(2026, 9, 8, 10, 15))
    assert_slot(slot, utc(2026, 9, 8, 9, 15), local(2026, 9, 8, 10, 15))


def test_before_the_window_waits_until_it_opens_the_same_day(school: SchoolCalendar) -> None:
    slot = school.next_open_slot(local(2026, 9, 8, 6, 0))
    assert_slot(slot, utc(2026, 9, 8, 6, 30), local(2026, 9, 8, 7, 30))


def test_after_the_window_moves_to_the_next_morning(school: SchoolCalendar) -> None:
    slot = school.next_open_slot(local(2026, 9, 8, 18, 0))  # Tuesday evening
    assert_slot(slot, utc(2026, 9, 9, 6, 30), local(2026, 9, 9, 7, 30))  # Wednesday


def test_the_window_opens_at_its_start_and_closes_at_its_end(school: SchoolCalendar) -> None:
    slot = school.next_open_slot(local(2026, 9, 8, 7, 30))
    assert_slot(slot, utc(2026, 9, 8, 6, 30), local(2026, 9, 8, 7, 30))
    slot = school.next_open_slot(local(2026, 9, 8, 17, 29))
    assert_slot(slot, utc(2026, 9, 8, 16, 29), local(2026, 9, 8, 17, 29))
    assert_slot(
        school.next_open_slot(local(2026, 9, 8, 17, 30)),
        utc(2026, 9, 9, 6, 30),
        local(2026, 9, 9, 7, 30),
    )


@pytest.mark.parametrize(
    "when",
    [local(2026, 9, 11, 18, 0), local(2026, 9, 12, 10, 0), local(2026, 9, 13, 23, 59)],
    ids=["friday-evening", "saturday-morning", "sunday-night"],
)
def test_a_weekend_moves_to_monday_morning(school: SchoolCalendar, when: datetime) -> None:
    slot = school.next_open_slot(when)
    assert_slot(slot, utc(2026, 9, 14, 6, 30), local(2026, 9, 14, 7, 30))


def test_the_input_may_be_in_any_zone_and_the_result_is_utc(school: SchoolCalendar) -> None:
    # 05:00 UTC on Tuesday is 06:00 BST: before the window.
    assert_slot(
        school.next_open_slot(utc(2026, 9, 8, 5, 0)),
        utc(2026, 9, 8, 6, 30),
        local(2026, 9, 8, 7, 30),
    )
    # 13:00 in New York on Tuesday is 18:00 in London: after the window.
    assert_slot(
        school.next_open_slot(ny(2026, 9, 8, 13, 0)),
        utc(2026, 9, 9, 6, 30),
        local(2026, 9, 9, 7, 30),
    )


def test_a_naive_datetime_is_refused(school: SchoolCalendar) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        school.next_open_slot(datetime(2026, 9, 8, 10, 0))


def test_always_open_passes_every_moment_through() -> None:
    cal = SchoolCalendar.always_open()
    for when in (local(2027, 1, 3, 3, 0), local(2027, 12, 25, 12, 0), local(2027, 3, 28, 2, 30)):
        assert_slot(cal.next_open_slot(when), when.astimezone(UTC), when)


# ---- holidays: between terms, closures and past the last term -----------------


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 9, 2), True),  # first day of the autumn term
        (date(2026, 10, 23), True),  # Friday before half-term
        (date(2026, 10, 26), False),  # autumn half-term
        (date(2026, 10, 30), False),
        (date(2026, 11, 2), True),
        (date(2026, 12, 18), True),  # last day of the autumn term
        (date(2026, 12, 21), False),  # Christmas holiday
        (date(2027, 1, 4), False),  # INSET day
        (date(2027, 1, 5), True),  # first day of the spring term
        (date(2027, 2, 15), False),  # spring half-term
        (date(2027, 3, 26), True),  # last day of the spring term
        (date(2027, 3, 29), False),  # Easter holiday
        (date(2027, 4, 9), False),
        (date(2027, 4, 12), True),  # first day of the summer term
        (date(2027, 5, 3), False),  # bank holiday
        (date(2027, 6, 2), False),  # summer half-term
        (date(2027, 7, 21), True),  # last day of the summer term
        (date(2027, 7, 22), True),  # past the last term: working days only
        (date(2027, 7, 24), False),  # a Saturday is never open
    ],
)
def test_is_open_day(school: SchoolCalendar, day: date, open_: bool) -> None:
    assert school.is_open_day(day) is open_


def test_christmas_and_the_inset_day_are_skipped(school: SchoolCalendar) -> None:
    slot = school.next_open_slot(local(2026, 12, 18, 18, 0))
    assert_slot(slot, utc(2027, 1, 5, 7, 30), local(2027, 1, 5, 7, 30))
    assert not any(
        school.is_open_day(date(2026, 12, 19) + timedelta(days=n)) for n in range(17)
    )  # 19 December .. 4 January


def test_an_inset_day_inside_a_term_is_skipped() -> None:
    spring_from_monday = DateRange(name="Spring term", start=date(2027, 1, 4), end=SPRING.end)
    with_inset = school_year(terms=[AUTUMN, spring_from_monday, SUMMER])
    without_inset = school_year(
        terms=[AUTUMN, spring_from_monday, SUMMER],
        closures=[c for c in CLOSURES if c.name != "INSET day"],
    )
    friday = local(2026, 12, 18, 18, 0)
    assert_slot(with_inset.next_open_slot(friday), utc(2027, 1, 5, 7, 30), local(2027, 1, 5, 7, 30))
    assert_slot(
        without_inset.next_open_slot(friday), utc(2027, 1, 4, 7, 30), local(2027, 1, 4, 7, 30)
    )


@pytest.mark.parametrize(
    "when",
    [local(2027, 3, 26, 18, 0), local(2027, 4, 1, 10, 0), local(2027, 4, 11, 23, 0)],
    ids=["last-evening-of-spring-term", "mid-holiday", "last-night-of-holiday"],
)
def test_the_easter_holiday_is_skipped(school: SchoolCalendar, when: datetime) -> None:
    # Clocks went forward on 28 March: the summer term opens at 07:30 BST.
    assert_slot(school.next_open_slot(when), utc(2027, 4, 12, 6, 30), local(2027, 4, 12, 7, 30))


@pytest.mark.parametrize(
    ("when", "expected_utc", "expected_wall"),
    [
        # Autumn: clocks go back on Sunday 25 October, inside the skipped stretch.
        (local(2026, 10, 23, 18, 0), utc(2026, 11, 2, 7, 30), local(2026, 11, 2, 7, 30)),
        (local(2026, 10, 28, 10, 0), utc(2026, 11, 2, 7, 30), local(2026, 11, 2, 7, 30)),
        (local(2027, 2, 12, 18, 0), utc(2027, 2, 22, 7, 30), local(2027, 2, 22, 7, 30)),
        (local(2027, 5, 28, 18, 0), utc(2027, 6, 7, 6, 30), local(2027, 6, 7, 7, 30)),
    ],
    ids=["autumn", "autumn-mid-week", "spring", "summer"],
)
def test_half_terms_are_skipped(
    school: SchoolCalendar, when: datetime, expected_utc: datetime, expected_wall: datetime
) -> None:
    assert_slot(school.next_open_slot(when), expected_utc, expected_wall)


def test_the_bank_holiday_is_skipped(school: SchoolCalendar) -> None:
    slot = school.next_open_slot(local(2027, 4, 30, 18, 0))  # Friday evening
    assert_slot(slot, utc(2027, 5, 4, 6, 30), local(2027, 5, 4, 7, 30))  # Tuesday


def test_past_the_last_term_only_working_days_and_closures_apply(
    school: SchoolCalendar,
) -> None:
    # Documented: past the last known term a plan keeps going on working days.
    slot = school.next_open_slot(local(2027, 7, 21, 18, 0))
    assert_slot(slot, utc(2027, 7, 22, 6, 30), local(2027, 7, 22, 7, 30))
    slot = school.next_open_slot(local(2027, 8, 14, 10, 0))  # a Saturday
    assert_slot(slot, utc(2027, 8, 16, 6, 30), local(2027, 8, 16, 7, 30))

    closed_week = DateRange(name="Site works", start=date(2027, 8, 16), end=date(2027, 8, 20))
    with_works = school_year(closures=[*CLOSURES, closed_week])
    slot = with_works.next_open_slot(local(2027, 8, 14, 10, 0))
    assert_slot(slot, utc(2027, 8, 23, 6, 30), local(2027, 8, 23, 7, 30))


# ---- daylight saving time -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 10, 24), utc(2026, 10, 24, 6, 30)),  # BST, the day before clocks go back
        (date(2026, 10, 25), utc(2026, 10, 25, 7, 30)),  # GMT from 02:00 BST
        (date(2026, 10, 26), utc(2026, 10, 26, 7, 30)),
        (date(2027, 3, 27), utc(2027, 3, 27, 7, 30)),  # GMT, the day before clocks go forward
        (date(2027, 3, 28), utc(2027, 3, 28, 6, 30)),  # BST from 01:00 GMT
        (date(2027, 3, 29), utc(2027, 3, 29, 6, 30)),
    ],
)
def test_at_local_follows_uk_clock_changes(
    school: SchoolCalendar, day: date, expected_utc: datetime
) -> None:
    assert_slot(
        school.at_local(day, time(7, 30)),
        expected_utc,
        datetime.combine(day, time(7, 30), tzinfo=LONDON),
    )


def test_a_local_time_in_the_spring_forward_gap_resolves_after_the_gap(
    school: SchoolCalendar,
) -> None:
    # 01:30 on 28 March 2027 never happens in London: 01:00 GMT is followed by 02:00 BST.
    slot = school.at_local(date(2027, 3, 28), time(1, 30))
    assert slot > utc(2027, 3, 28, 1, 0)  # after the gap
    assert_slot(slot, utc(2027, 3, 28, 1, 30), local(2027, 3, 28, 2, 30))
    assert slot.astimezone(LONDON).astimezone(UTC) == slot  # a real, round-tripping instant


def test_an_ambiguous_local_time_in_the_fall_back_resolves_to_its_first_occurrence(
    school: SchoolCalendar,
) -> None:
    # 01:30 on 25 October 2026 happens twice in London: first BST, then GMT.
    slot = school.at_local(date(2026, 10, 25), time(1, 30))
    assert slot == utc(2026, 10, 25, 0, 30)
    assert slot.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 25, 1, 30)


def test_a_seven_day_school_across_both_uk_clock_changes() -> None:
    cal = SchoolCalendar(working_days=EVERY_DAY)
    # Saturday evening -> Sunday 07:30, on the Sundays the clocks change.
    assert_slot(
        cal.next_open_slot(local(2026, 10, 24, 18, 0)),
        utc(2026, 10, 25, 7, 30),
        local(2026, 10, 25, 7, 30),
    )
    assert_slot(
        cal.next_open_slot(local(2027, 3, 27, 18, 0)),
        utc(2027, 3, 28, 6, 30),
        local(2027, 3, 28, 7, 30),
    )


def test_a_send_window_closing_inside_the_spring_forward_gap_closes_at_the_change() -> None:
    # America/Denver, 9 March 2025: 02:00 MST is followed by 03:00 MDT. A window of
    # 01:59-02:01 closes at the change; 03:00 is outside it, so the next slot is the
    # next day's 01:59. (Found by tests/cpd/test_properties.py: it used to send at 03:00.)
    cal = SchoolCalendar(
        nation=None,
        timezone="America/Denver",
        working_days=EVERY_DAY,
        send_window_start=time(1, 59),
        send_window_end=time(2, 1),
    )
    slot = cal.next_open_slot(datetime(2025, 3, 9, 9, 0, tzinfo=UTC))  # 03:00 MDT
    assert slot == datetime(2025, 3, 10, 7, 59, tzinfo=UTC)  # 01:59 MDT on the 10th


def test_a_repeated_hour_before_the_window_is_not_inside_it() -> None:
    # America/Adak, 2 November 2025: 02:00 HDT goes back to 01:00 HST. A window of
    # 01:59-02:00 must not send at the second 01:00 (it used to).
    cal = SchoolCalendar(
        nation=None,
        timezone="America/Adak",
        working_days=EVERY_DAY,
        send_window_start=time(1, 59),
        send_window_end=time(2, 0),
    )
    slot = cal.next_open_slot(datetime(2025, 11, 2, 11, 0, tzinfo=UTC))  # the second 01:00
    assert slot == datetime(2025, 11, 2, 11, 59, tzinfo=UTC)  # the second 01:59, HST


def test_a_send_window_opening_inside_the_spring_forward_gap() -> None:
    cal = SchoolCalendar(working_days=EVERY_DAY, send_window_start=time(1, 30))
    # Just after midnight on the 28th: the window "opens" at 01:30, which does not
    # exist; the clocks jump from 01:00 GMT to 02:00 BST, the first moment the clock
    # reads past 01:30, so the window opens then.
    assert_slot(
        cal.next_open_slot(local(2027, 3, 28, 0, 15)),
        utc(2027, 3, 28, 1, 0),
        local(2027, 3, 28, 2, 0),
    )
    # The next day 01:30 exists again, in BST.
    assert_slot(
        cal.next_open_slot(local(2027, 3, 28, 18, 0)),
        utc(2027, 3, 29, 0, 30),
        local(2027, 3, 29, 1, 30),
    )


# ---- another time zone ------------------------------------------------------------


@pytest.fixture
def new_york() -> SchoolCalendar:
    return SchoolCalendar(timezone="America/New_York")


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 10, 30), utc(2026, 10, 30, 11, 30)),  # EDT (London is already on GMT)
        (date(2026, 11, 2), utc(2026, 11, 2, 12, 30)),  # EST after 1 November
        (date(2027, 3, 12), utc(2027, 3, 12, 12, 30)),  # EST
        (date(2027, 3, 15), utc(2027, 3, 15, 11, 30)),  # EDT after 14 March (London still GMT)
    ],
)
def test_at_local_follows_new_york_clock_changes(
    new_york: SchoolCalendar, day: date, expected_utc: datetime
) -> None:
    assert_slot(
        new_york.at_local(day, time(7, 30)),
        expected_utc,
        datetime.combine(day, time(7, 30), tzinfo=NEW_YORK),
    )


def test_new_york_weekends_across_its_own_clock_changes(new_york: SchoolCalendar) -> None:
    assert_slot(
        new_york.next_open_slot(ny(2026, 10, 30, 18, 0)),  # Friday, EDT
        utc(2026, 11, 2, 12, 30),
        ny(2026, 11, 2, 7, 30),  # Monday, EST
    )
    assert_slot(
        new_york.next_open_slot(ny(2027, 3, 13, 10, 0)),  # Saturday, EST
        utc(2027, 3, 15, 11, 30),
        ny(2027, 3, 15, 7, 30),  # Monday, EDT
    )


def test_the_same_instant_gets_each_school_its_own_morning(new_york: SchoolCalendar) -> None:
    london = SchoolCalendar()
    instant = utc(2027, 1, 16, 1, 0)  # Saturday 01:00 in London, Friday 20:00 in New York
    assert_slot(london.next_open_slot(instant), utc(2027, 1, 18, 7, 30), local(2027, 1, 18, 7, 30))
    assert_slot(new_york.next_open_slot(instant), utc(2027, 1, 18, 12, 30), ny(2027, 1, 18, 7, 30))


def test_a_local_time_in_the_new_york_gap_resolves_after_the_gap(
    new_york: SchoolCalendar,
) -> None:
    # 02:30 on 14 March 2027 never happens in New York: 02:00 EST is followed by 03:00 EDT.
    slot = new_york.at_local(date(2027, 3, 14), time(2, 30))
    assert_slot(slot, utc(2027, 3, 14, 7, 30), ny(2027, 3, 14, 3, 30))


# ---- add_open_days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "days", "expected_utc", "expected_wall"),
    [
        # Friday + 1 = Monday, same local time.
        (local(2026, 9, 11, 10, 0), 1, utc(2026, 9, 14, 9, 0), local(2026, 9, 14, 10, 0)),
        # A week of working days.
        (local(2026, 9, 14, 10, 0), 5, utc(2026, 9, 21, 9, 0), local(2026, 9, 21, 10, 0)),
        # The Friday before half-term + 1 = the Monday after it; 10:00 is now GMT.
        (local(2026, 10, 23, 10, 0), 1, utc(2026, 11, 2, 10, 0), local(2026, 11, 2, 10, 0)),
        # Thursday + 2 skips the weekend and the bank holiday Monday.
        (local(2027, 4, 29, 10, 0), 2, utc(2027, 5, 4, 9, 0), local(2027, 5, 4, 10, 0)),
        # The last day of term + 1 = the first day of next term (INSET day skipped).
        (local(2026, 12, 18, 10, 0), 1, utc(2027, 1, 5, 10, 0), local(2027, 1, 5, 10, 0)),
        # Zero days is just the next open slot.
        (local(2026, 9, 12, 10, 0), 0, utc(2026, 9, 14, 6, 30), local(2026, 9, 14, 7, 30)),
        # Same local time, then the next open slot: Tuesday 18:00 + 1 -> Thursday 07:30.
        (local(2026, 9, 8, 18, 0), 1, utc(2026, 9, 10, 6, 30), local(2026, 9, 10, 7, 30)),
    ],
    ids=[
        "friday-plus-one",
        "week",
        "over-half-term-and-dst",
        "over-bank-holiday",
        "over-christmas",
        "zero",
        "outside-window",
    ],
)
def test_add_open_days(
    school: SchoolCalendar,
    when: datetime,
    days: int,
    expected_utc: datetime,
    expected_wall: datetime,
) -> None:
    assert_slot(school.add_open_days(when, days), expected_utc, expected_wall)


def test_add_open_days_accepts_a_utc_instant(school: SchoolCalendar) -> None:
    # What a workflow passes: workflow.now(), in UTC. Friday 09:00 UTC is 10:00 BST.
    slot = school.add_open_days(utc(2026, 9, 11, 9, 0), 1)
    assert_slot(slot, utc(2026, 9, 14, 9, 0), local(2026, 9, 14, 10, 0))


def test_add_open_days_refuses_a_naive_datetime(school: SchoolCalendar) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        school.add_open_days(datetime(2026, 9, 11, 10, 0), 1)


# ---- validation ---------------------------------------------------------------------


def test_the_school_year_is_a_valid_calendar(school: SchoolCalendar) -> None:
    assert school.zone == LONDON
    assert len(school.terms) == 3
    assert len(school.closures) == 5


def test_a_summer_holiday_between_two_school_years_is_accepted() -> None:
    autumn_2027 = DateRange(name="Autumn term", start=date(2027, 9, 1), end=date(2027, 12, 17))
    cal = school_year(terms=[AUTUMN, SPRING, SUMMER, autumn_2027])
    assert not cal.is_open_day(date(2027, 8, 16))  # now known to be the summer holiday
    slot = cal.next_open_slot(local(2027, 7, 21, 18, 0))
    assert_slot(slot, utc(2027, 9, 1, 6, 30), local(2027, 9, 1, 7, 30))


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "GMT+25"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        SchoolCalendar(timezone=zone)


@pytest.mark.parametrize("days", [[], [7], [-1, 0]])
def test_working_days_must_be_weekdays_0_to_6(days: list[int]) -> None:
    with pytest.raises(ValidationError, match="working_days needs at least one day"):
        SchoolCalendar(working_days=days)


def test_working_days_are_deduplicated_and_sorted() -> None:
    assert SchoolCalendar(working_days=[4, 0, 2, 0]).working_days == [0, 2, 4]


@pytest.mark.parametrize(("start", "end"), [(time(17, 30), time(7, 30)), (time(9, 0), time(9, 0))])
def test_the_send_window_must_end_after_it_starts(start: time, end: time) -> None:
    with pytest.raises(ValidationError, match="send_window_end must be after send_window_start"):
        SchoolCalendar(send_window_start=start, send_window_end=end)


def test_a_closure_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="'Spring half-term' ends before it starts"):
        DateRange(name="Spring half-term", start=date(2027, 2, 19), end=date(2027, 2, 15))
    with pytest.raises(ValidationError, match="'date range' ends before it starts"):
        SchoolCalendar.model_validate({"closures": [{"start": "2027-02-19", "end": "2027-02-15"}]})


def test_a_term_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="'Summer term' ends before it starts"):
        SchoolCalendar.model_validate(
            {"terms": [{"name": "Summer term", "start": "2027-07-21", "end": "2027-04-12"}]}
        )


@pytest.mark.parametrize(
    ("changes", "closed_from"),
    [
        # Summer half-term typed with next year's end date.
        (
            {
                "closures": [
                    *CLOSURES[:4],
                    DateRange(
                        name="Summer half-term", start=date(2027, 5, 31), end=date(2028, 6, 4)
                    ),
                ]
            },
            "2027-05-31",
        ),
        # The spring term forgotten: Christmas and Easter become one 114-day holiday.
        ({"terms": [AUTUMN, SUMMER]}, "2026-12-19"),
        # Two terms six months apart.
        (
            {"terms": [AUTUMN, DateRange(start=date(2027, 6, 21), end=date(2027, 7, 21))]},
            "2026-12-19",
        ),
        # A long closure running into the Christmas holiday counts with it.
        (
            {
                "closures": [
                    DateRange(name="Rebuild", start=date(2026, 10, 1), end=date(2026, 12, 18))
                ]
            },
            "2026-10-01",
        ),
    ],
    ids=["closure-year-typo", "missing-term", "term-six-month-gap", "closure-plus-holiday"],
)
def test_a_calendar_closed_for_too_long_is_refused(
    changes: dict[str, Any], closed_from: str
) -> None:
    with pytest.raises(
        ValidationError,
        match=f"closed for more than {MAX_CLOSED_DAYS} days in a row from {closed_from}",
    ):
        school_year(**changes)


def test_a_closure_of_exactly_max_closed_days_is_accepted() -> None:
    # Wednesday 4 August .. Monday 1 November 2027, with open days either side.
    start = date(2027, 8, 4)
    longest = DateRange(start=start, end=start + timedelta(days=MAX_CLOSED_DAYS - 1))
    assert longest.end == date(2027, 11, 1)
    cal = SchoolCalendar(closures=[longest])
    assert_slot(
        cal.next_open_slot(local(2027, 8, 3, 18, 0)),
        utc(2027, 11, 2, 7, 30),  # Tuesday, GMT since 31 October
        local(2027, 11, 2, 7, 30),
    )
    one_more = DateRange(start=start, end=start + timedelta(days=MAX_CLOSED_DAYS))
    with pytest.raises(ValidationError, match="closed for more than"):
        SchoolCalendar(closures=[one_more])


def _monday_to_friday_blocks(first_monday: date, weeks: int, blocks: int) -> list[DateRange]:
    """Closures of ``weeks`` school weeks each, Monday to Friday, back to back."""
    return [
        DateRange(
            name=f"Closed {n + 1}",
            start=first_monday + timedelta(weeks=weeks * n),
            end=first_monday + timedelta(weeks=weeks * n, days=7 * weeks - 3),
        )
        for n in range(blocks)
    ]


def test_closures_joined_by_a_weekend_count_as_one_closed_run() -> None:
    # Mon 4 Jan .. Fri 26 Mar 2027, then Mon 29 Mar .. Fri 28 May: closed 2 Jan .. 30 May.
    closures = _monday_to_friday_blocks(date(2027, 1, 4), weeks=12, blocks=2)
    with pytest.raises(ValidationError, match="closed for more than"):
        SchoolCalendar(closures=closures)


def test_every_accepted_calendar_has_an_open_slot() -> None:
    closures = _monday_to_friday_blocks(date(2027, 1, 4), weeks=12, blocks=6)
    try:
        cal = SchoolCalendar(closures=closures)
    except ValidationError:
        return  # refused up front: what the validator is for
    cal.next_open_slot(local(2027, 1, 4, 9, 0))
