"""The roster parsers on generated input (hypothesis): any bytes, CSV-shaped text in
every dialect a school's MIS writes, Excel workbooks whole and damaged, pasted lists.

Whatever comes in, the parser answers with a Roster, never an exception, and never a
half-import: either the file is refused as a whole (``problems``), or every row has a
verdict, ``ok`` agrees with the verdicts, and every row marked ok is a person the
service can create (a valid address and a name that ParticipantIn accepts).
"""

from __future__ import annotations

import io
from typing import Any

from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from cpd.roster import XLSX_MAGIC, Roster, parse_pasted, parse_roster, xlsx_as_csv
from services.schemas import ParticipantIn

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADERS = [
    ["Forename", "Surname", "Email"],
    ["First Name", "Last Name", "Work Email", "Language"],
    ["Name", "Email Address"],
    ["Staff Name", "E-mail", "Iaith"],
    ["Email", "Name", "Role", ""],
    ["Title", "Preferred Forename", "Legal Surname", "School Email"],
    ["Surname", "Email"],  # no first name: refused as a whole
    ["Id", "Role"],  # nothing usable
]
# Cells as an MIS writes them, and as a mistyping person does.
CELLS = st.one_of(
    st.emails(),
    st.sampled_from(["Siân Jones", "O'Brien", "Zoë", "cy", "Welsh", "en", "", " ", "  Ada  "]),
    st.text(max_size=30),
    st.text(alphabet='",;\t\r\n= \x00\x1c\u2028\ufeff', max_size=8),
    st.text(min_size=190, max_size=260, alphabet="abc "),  # names longer than allowed
    st.emails().map(lambda e: f'="{e}"'),
)


def assert_a_whole_verdict(roster: Roster) -> None:
    assert isinstance(roster, Roster)
    if roster.problems:
        assert not roster.ok  # refused as a whole
        return
    for row in roster.rows:
        assert row.status in ("ok", "duplicate", "error")
        assert bool(row.errors) == (row.status != "ok"), row
    assert roster.ok == all(r.status != "error" for r in roster.rows)
    numbers = [r.row for r in roster.rows]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    people = roster.people
    emails = [p.email.lower() for p in people]
    assert len(set(emails)) == len(emails), "the same person twice"
    for person in people:
        assert person.name.strip(), person
        assert validate_email(person.email, check_deliverability=False).normalized == person.email
        # What the roster says is fine, the service can create.
        ParticipantIn(name=person.name, email=person.email, language=person.language)
    for row in roster.rows:
        if row.status == "duplicate":
            assert row.email.lower() in emails


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.sampled_from(HEADERS))
    if draw(st.booleans()):
        header = [h.upper() if draw(st.booleans()) else f" {h} " for h in header]
    lines = [header]
    for _ in range(draw(st.integers(0, 12))):
        lines.append(draw(st.lists(CELLS, min_size=0, max_size=len(header) + 2)))
    quoted = draw(st.booleans())

    def cell(value: str) -> str:
        if quoted or any(c in value for c in f'"{delimiter}\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    blank = draw(st.sampled_from(["", "\n", ",,,\n", "\r\n\r\n"]))
    text = blank + "\r\n".join(delimiter.join(cell(c) for c in line) for line in lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from(HEADERS))
    values = CELLS.filter(lambda v: "\x00" not in v and "\x1c" not in v) | st.integers() | st.none()
    rows = [header] + draw(st.lists(st.lists(values, max_size=len(header) + 1), max_size=8))
    try:
        return _workbook(rows)
    except IllegalCharacterError:  # control characters a workbook cannot hold
        return _workbook([header])


@st.composite
def damaged_workbooks(draw: st.DrawFn) -> bytes:
    """A real workbook with a run of its bytes overwritten, or cut short."""
    data = bytearray(draw(workbooks()))
    # A workbook's length varies with the time it was saved: draw a place, then fit it.
    at = len(XLSX_MAGIC) + draw(st.integers(0, 10**6)) % (len(data) - len(XLSX_MAGIC))
    if draw(st.booleans()):
        return bytes(data[:at])
    junk = draw(st.binary(min_size=1, max_size=64))
    data[at : at + len(junk)] = junk
    return bytes(data)


@BOUNDED
@given(st.binary(max_size=3000) | st.binary(max_size=200).map(lambda b: XLSX_MAGIC + b))
def test_any_bytes_get_a_whole_verdict(data: bytes) -> None:
    assert_a_whole_verdict(parse_roster(data))


@BOUNDED
@given(csv_files())
def test_any_csv_export_gets_a_whole_verdict(data: bytes) -> None:
    assert_a_whole_verdict(parse_roster(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks())
def test_any_workbook_gets_a_whole_verdict(data: bytes) -> None:
    roster = parse_roster(data)
    assert_a_whole_verdict(roster)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_workbooks())
def test_a_damaged_workbook_is_refused_or_read_never_crashes(data: bytes) -> None:
    assert_a_whole_verdict(parse_roster(data))
    try:
        xlsx_as_csv(data)
    except ValueError as exc:  # the one refusal xlsx_as_csv documents
        assert "could not be opened" in str(exc)


@BOUNDED
@given(
    st.text(max_size=2000)
    | st.lists(
        st.tuples(CELLS, st.sampled_from([", ", "\t", " ", ";", " <", ""]), CELLS).map(
            lambda t: f"{t[0]}{t[1]}{t[2]}{'>' if t[1] == ' <' else ''}"
        ),
        max_size=15,
    ).map("\n".join)
)
def test_any_pasted_list_gets_a_whole_verdict(text: str) -> None:
    assert_a_whole_verdict(parse_pasted(text))


def test_a_stray_carriage_return_refuses_the_file_as_a_whole() -> None:
    # Found by the properties above: this raised csv.Error (a 500 for an upload).
    roster = parse_roster(b"Name,Email\r\nAda\r\x00,ada@example.org\n")
    assert not roster.ok and not roster.rows
    assert roster.problems == [
        "Row 2 could not be read as CSV (a stray quote or line break, or a cell too long): "
        "save the file again as CSV."
    ]


def test_a_name_too_long_to_create_is_an_error_on_its_row() -> None:
    # Found by the properties above: marked ok, then refused by ParticipantIn on import.
    roster = parse_roster(f"Name,Email\n{'a' * 201},ada@example.org\n".encode())
    assert not roster.ok
    assert roster.rows[0].errors == ["name is longer than 200 characters"]
    pasted = parse_pasted(f"{'a' * 201}, ada@example.org")
    assert pasted.rows[0].errors == ["name is longer than 200 characters"]
