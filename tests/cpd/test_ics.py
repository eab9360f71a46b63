"""A school's published calendar (.ics) read as terms and closures, as a school meant it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cpd.ics import IcsRejected, read_ics

CALENDARS = Path(__file__).parent / "calendars"


def test_a_school_websites_term_dates_read_as_terms_and_closures() -> None:
    found = read_ics((CALENDARS / "hillside-2026-27.ics").read_bytes())
    # All-day events end the day before their DTEND.
    assert [(t.name, t.start, t.end) for t in found.terms] == [
        ("Autumn Term", date(2026, 9, 2), date(2026, 12, 18)),
        ("Spring Term", date(2027, 1, 5), date(2027, 3, 26)),
        ("Summer Term", date(2027, 4, 12), date(2027, 7, 22)),
    ]
    closures = {c.name: (c.start, c.end) for c in found.closures}
    assert closures["October Half Term"] == (date(2026, 10, 26), date(2026, 10, 30))
    assert closures["INSET Day - school closed to students"] == (date(2026, 9, 1),) * 2
    assert closures["Christmas Holidays"] == (date(2026, 12, 19), date(2027, 1, 4))
    assert closures["Bank Holiday"] == (date(2027, 5, 3),) * 2  # no DTEND: that one day
    assert found.not_understood == ["Year 11 Parents Evening (2026-11-12)"]


def test_closures_alone_are_taken() -> None:
    found = read_ics((CALENDARS / "meadow-closures-only.ics").read_bytes())
    assert found.terms == []
    assert [c.name for c in found.closures] == [
        "Easter holidays",
        "Half term",
        "Staff training day (school closed)",
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"this is not a calendar", "not a calendar file"),
        ((CALENDARS / "no-term-events.ics").read_bytes(), "No term dates or holidays"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261010\r\n"
            b"DTEND;VALUE=DATE:20261001\r\nSUMMARY:Half term\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "ends before it starts",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data: bytes, says: str) -> None:
    with pytest.raises(IcsRejected, match=says):
        read_ics(data)
