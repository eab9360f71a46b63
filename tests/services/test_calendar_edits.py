"""Changes to a calendar by hand: what each makes of the calendar, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest

from cpd.calendar import SchoolCalendar
from services.calendar_edits import add_dates, remove_dates, set_place
from services.errors import Invalid

TODAY = date(2026, 12, 2)


def refused(exc: Invalid) -> dict[str, str]:
    return {f["field"]: f["message"] for f in exc.fields}


def test_an_inset_day_is_a_named_closure_of_one_day() -> None:
    calendar = add_dates(SchoolCalendar(), "inset", " Safeguarding ", "2027-01-04", "", TODAY)
    [closure] = calendar.closures
    assert (closure.name, closure.start, closure.end) == (
        "INSET day: Safeguarding",
        date(2027, 1, 4),
        date(2027, 1, 4),
    )
    assert (
        remove_dates(calendar, "closure", closure.name, "2027-01-04", "2027-01-04").closures == []
    )


@pytest.mark.parametrize(
    ("kind", "start", "end", "field", "says"),
    [
        ("closure", "2027-02-31", "", "start", "Give a real date"),
        ("closure", "2027-03-02", "2027-03-01", "end", "before the first day"),
        ("term", "2029-09-01", "2029-12-20", "start", "more than two years from today"),
        ("closure", "2027-01-04", "2027-06-30", "start", "closed for more than 90 days"),
        ("snow", "2027-01-04", "", "kind", "Choose a term"),
    ],
)
def test_impossible_dates_are_refused_on_their_field(
    kind: str, start: str, end: str, field: str, says: str
) -> None:
    with pytest.raises(Invalid) as caught:
        add_dates(SchoolCalendar(), kind, "", start, end, TODAY)
    assert says in refused(caught.value)[field]


def test_a_removed_range_must_be_there() -> None:
    with pytest.raises(Invalid) as caught:
        remove_dates(SchoolCalendar(), "term", "Autumn", "2026-09-02", "2026-12-18")
    assert "already removed" in refused(caught.value)["remove"]


def test_nation_and_time_zone() -> None:
    calendar = set_place(SchoolCalendar(), "wales", "Europe/London")
    assert (calendar.nation, calendar.timezone) == ("wales", "Europe/London")
    assert set_place(calendar, "", "Europe/Dublin").nation is None
    with pytest.raises(Invalid) as caught:
        set_place(calendar, "wales", "Europe/Atlantis")
    assert "Unknown time zone" in refused(caught.value)["timezone"]
    with pytest.raises(Invalid):
        set_place(calendar, "cornwall", "Europe/London")
