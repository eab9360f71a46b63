"""The school year the workflow reads: what the school entered, plus its nation's bank
holidays and estimated holidays (cpd/school_year.effective)."""

from __future__ import annotations

from datetime import date, timedelta

from cpd.calendar import MAX_CLOSURES, DateRange, SchoolCalendar
from cpd.school_year import LOOK_AHEAD, bank_holidays, effective


def test_a_school_at_the_cap_on_closures_still_gets_a_year_the_workflow_can_read() -> None:
    today = date(2026, 12, 2)
    # 500 single closed days, every other day, mostly before today (a school that has
    # entered every closure for years) and some to come, touching pairs among them.
    days = [today - timedelta(days=800) + timedelta(days=2 * n) for n in range(MAX_CLOSURES)]
    entered = [DateRange(name=f"closed {d}", start=d, end=d) for d in days]
    school = SchoolCalendar(nation="england", closures=entered)

    year = effective(school, today)

    # What the workflow does with the activity's answer: decode it, so the cap applies.
    read = SchoolCalendar.model_validate(year.model_dump())
    assert len(read.closures) <= MAX_CLOSURES
    for closed in [d for d in days if d >= today]:
        assert not read.is_open_day(closed), closed
    for holiday in bank_holidays("england", today, today + LOOK_AHEAD):
        assert not read.is_open_day(holiday.start), holiday
    # Without the cap in mind, the entered closures and bank holidays were too many.
    assert len(entered) + len(bank_holidays("england", today, today + LOOK_AHEAD)) > 500


def test_a_school_well_under_the_cap_keeps_every_span_as_entered() -> None:
    today = date(2026, 12, 2)
    snow = DateRange(name="Snow day", start=today - timedelta(days=100), end=today - timedelta(100))
    year = effective(SchoolCalendar(nation="england", closures=[snow]), today)
    assert year.closures[0] == snow
