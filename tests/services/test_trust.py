"""The trust's small-group rule and academic years, as plain functions."""

from __future__ import annotations

from datetime import date

from services.trust import FEWER, WITHHELD, AcademicYear, Tally, figures, withheld


def test_an_academic_year_runs_september_to_august() -> None:
    assert AcademicYear.of(date(2026, 8, 31)) == AcademicYear(2025)
    assert AcademicYear.of(date(2026, 9, 1)) == AcademicYear(2026)
    assert AcademicYear(2026).label == "September 2026 to August 2027"
    assert (AcademicYear(2026).start, AcademicYear(2026).end) == (
        date(2026, 9, 1),
        date(2027, 8, 31),
    )


def rated(*ratings: int) -> Tally:
    t = Tally(events=1, teachers=len(ratings))
    for r in ratings:
        t.ratings[(4, 3)][str(r)] += 1
    return t


def test_small_groups_are_hidden_and_cannot_be_worked_out_from_the_whole() -> None:
    four, five, six = rated(5, 5, 4, 4), rated(1, 2, 3, 4, 5), rated(4, 4, 5, 3, 4, 2)
    cps = [(4, 3)]
    assert figures("four", "", four, cps).impact[(4, 3)] == (FEWER, None)
    assert figures("four", "", four, cps).teachers == FEWER
    assert figures("five", "", five, cps).impact[(4, 3)] == (5, 3.0)
    # Beside a hidden school, the smallest school shown is held back: the whole less the
    # others would otherwise give the hidden one's ratings away.
    held = withheld([six, four, five])
    assert held == [set(), set(), {"teachers", "impact:(4, 3)"}]
    shown = figures("five", "", five, cps, held[2])
    assert shown.impact[(4, 3)] == (WITHHELD, None) and shown.teachers == WITHHELD
    # Two small ones that make 5 or more together need nothing more held back.
    assert withheld([six, rated(1, 2, 3), rated(4, 5)]) == [set(), set(), set()]
