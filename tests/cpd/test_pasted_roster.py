"""People pasted into the dashboard one a line, and an MIS export saved as Excel."""

from __future__ import annotations

import io

from openpyxl import Workbook

from cpd.roster import parse_pasted, parse_roster


def test_each_pasted_line_gets_a_verdict() -> None:
    roster = parse_pasted(
        "Ada Lovelace <ada@hillside.example>\n"
        "Grace Hopper, grace@hillside.example\n"
        "\n"
        "alan.turing@hillside.example\n"
        "Katherine Johnson\tkj@hillside.example\n"  # a row copied from a spreadsheet
        "just a name\n"
        "Tom Jones, tom.jones@hillside\n"
        "ADA@hillside.example\n"
        "Mary Jackson mj@hillside.example\n"
    )
    assert [(r.row, r.name, r.status) for r in roster.rows] == [
        (1, "Ada Lovelace", "ok"),
        (2, "Grace Hopper", "ok"),
        (4, "Alan Turing", "ok"),  # named from the address
        (5, "Katherine Johnson", "ok"),
        (6, "just a name", "error"),
        (7, "Tom Jones", "error"),
        (8, "Ada", "duplicate"),
        (9, "Mary Jackson", "ok"),
    ]
    assert roster.rows[4].errors == ["no email address on this line"]
    assert "is not valid" in roster.rows[5].errors[0]
    assert roster.rows[6].errors == ["same email as line 1: listed once"]
    assert not roster.ok and len(roster.people) == 5


def test_an_excel_export_is_read_like_its_csv_and_a_broken_one_is_refused() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Forename", "Surname", "Work Email"])
    sheet.append(["Siân", "Evans", "sian.evans@hillside.example"])
    sheet.append([None, None, None])
    sheet.append(["Tom", "Jones", "tom.jones@hillside"])
    data = io.BytesIO()
    book.save(data)
    roster = parse_roster(data.getvalue())
    assert [(r.row, r.name, r.status) for r in roster.rows] == [
        (2, "Siân Evans", "ok"),
        (4, "Tom Jones", "error"),
    ]
    broken = parse_roster(b"PK\x03\x04 but not a workbook")
    assert broken.rows == [] and "could not be opened" in broken.problems[0]
