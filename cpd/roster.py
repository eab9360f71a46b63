"""Staff rosters from a school's MIS (SIMS, Arbor, Bromcom) as CSV or Excel, checked row by row.

Exports differ: a UTF-8 byte-order mark, semicolons from European Excel,
Excel's ="..." text cells, "Forename"/"Surname" or "First Name"/"Last Name"
or one "Name" column, trailing empty columns, blank lines, the same person
listed twice. Every row gets a verdict, so a school can fix its file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email

MAX_ROWS = 10_000
# As long as a participant's name may be (services/schemas.py ParticipantIn): a row
# marked ok is always one the service can create.
MAX_NAME = 200

_FIRST = (
    "forename",
    "first name",
    "firstname",
    "preferred forename",
    "preferred first name",
    "given name",
)
_LAST = ("surname", "last name", "lastname", "legal surname", "family name")
_FULL = ("name", "full name", "staff name", "display name")
_EMAIL = (
    "email",
    "email address",
    "e-mail",
    "work email",
    "school email",
    "email (work)",
    "staff email",
)


@dataclass
class RosterRow:
    row: int  # the line number a school sees in Excel (the header is row 1)
    name: str
    email: str
    status: Literal["ok", "duplicate", "error"] = "ok"
    # "en" or "cy" from a "Language"/"Iaith" column; "" follows the school (cpd/i18n.py).
    language: Literal["", "en", "cy"] = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class Roster:
    rows: list[RosterRow]
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.status == "error" for r in self.rows)

    @property
    def people(self) -> list[RosterRow]:
        return [r for r in self.rows if r.status == "ok"]


_LANGUAGE = ("language", "iaith", "preferred language")
# What a school types in a language column, and what it means.
LANGUAGE_WORDS: dict[str, Literal["", "en", "cy"]] = {
    "": "",
    "en": "en",
    "english": "en",
    "saesneg": "en",
    "cy": "cy",
    "welsh": "cy",
    "cymraeg": "cy",
}


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel saves "CSV" as Windows-1252; names like Siân still come through.
        return data.decode("cp1252", errors="replace")


def _cell(value: str) -> str:
    value = value.strip()
    quoted = re.fullmatch(r'="(.*)"', value)  # Excel's way of forcing text
    return " ".join((quoted.group(1) if quoted else value).split())


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if h in names:
            return i
    return None


XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip file
# What a workbook may hold once unzipped. A staff list of 10,000 rows is a few MB; a 5 MB
# upload that unzips to gigabytes (a "zip bomb") would hold a worker's memory and CPU.
MAX_XLSX_UNZIPPED = 64 * 1024 * 1024


def _unzipped_size(data: bytes) -> int:
    """What the workbook's parts add up to unzipped, as the zip's directory declares them
    (zipfile refuses to read a part past its declared size, so the sum holds)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(part.file_size for part in archive.infolist())


def xlsx_as_csv(data: bytes) -> bytes:
    """The first sheet of an Excel workbook as CSV, so it is checked like any export."""
    # Imported here: only a workbook upload needs it.
    from openpyxl import load_workbook

    try:
        too_big = _unzipped_size(data) > MAX_XLSX_UNZIPPED
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ValueError(
            "This Excel file could not be opened: save it again as .xlsx or CSV."
        ) from exc
    if too_big:
        raise ValueError("This Excel file is too large once opened: save it as CSV instead.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or password-protected file: zipfile, XML errors
        raise ValueError(
            "This Excel file could not be opened: save it again as .xlsx or CSV."
        ) from exc
    out = io.StringIO()
    writer = csv.writer(out)
    sheet = book.worksheets[0]
    for n, values in enumerate(sheet.iter_rows(values_only=True)):
        if n > MAX_ROWS + 1:
            break
        writer.writerow(["" if v is None else str(v) for v in values])
    book.close()
    return out.getvalue().encode()


def parse_roster(data: bytes) -> Roster:
    if data.startswith(XLSX_MAGIC):
        try:
            data = xlsx_as_csv(data)
        except ValueError as exc:
            return Roster(rows=[], problems=[str(exc)])
    text = decode(data)
    first_line = next((ln for ln in text.splitlines() if ln.strip(" ,;\t")), "")
    if not first_line:
        return Roster(rows=[], problems=["The file is empty."])
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _read(reader)
    except csv.Error:
        # A stray carriage return or an over-long cell: the whole file is refused,
        # never half of it read.
        return Roster(
            rows=[],
            problems=[
                f"Row {reader.line_num} could not be read as CSV (a stray quote or line "
                "break, or a cell too long): save the file again as CSV."
            ],
        )


def _read(reader: Any) -> Roster:
    header: list[str] = []
    for raw in reader:
        header = [_cell(h).lower() for h in raw]
        if any(header):
            break
    if not any(header):
        return Roster(rows=[], problems=["The file is empty."])
    email_col = _find(header, _EMAIL)
    first, last, full = _find(header, _FIRST), _find(header, _LAST), _find(header, _FULL)
    language_col = _find(header, _LANGUAGE)
    problems = []
    if email_col is None:
        problems.append("No email column: name one 'Email' (or 'Email Address', 'Work Email').")
    if full is None and (first is None or last is None):
        problems.append("No name columns: use 'Forename' and 'Surname', or one 'Name' column.")
    if problems:
        return Roster(rows=[], problems=problems)
    assert email_col is not None
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for raw in reader:
        n = reader.line_num  # the row number the school sees in Excel
        cells = [_cell(c) for c in raw] + [""] * len(header)
        if not any(cells):
            continue  # blank lines, or rows of empty cells Excel leaves behind
        if len(rows) >= MAX_ROWS:
            return Roster(rows=rows, problems=[f"More than {MAX_ROWS} people: split the file."])
        name = cells[full] if full is not None else f"{cells[first]} {cells[last]}".strip()  # type: ignore[index]
        row = RosterRow(row=n, name=name, email=cells[email_col])
        if not name:
            row.errors.append("name is missing")
        elif len(name) > MAX_NAME:
            row.errors.append(f"name is longer than {MAX_NAME} characters")
        if language_col is not None:
            said = cells[language_col]
            if said.lower() in LANGUAGE_WORDS:
                row.language = LANGUAGE_WORDS[said.lower()]
            else:
                row.errors.append(f"language {said!r} is not English or Welsh (en or cy)")
        try:
            row.email = validate_email(row.email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            row.errors.append(f"email {row.email!r} is not valid: {exc}")
        key = row.email.lower()
        if row.errors:
            row.status = "error"
        elif key in seen:
            row.status = "duplicate"
            row.errors.append(f"same email as row {seen[key]}: listed once")
        else:
            seen[key] = n
        rows.append(row)
    if not rows:
        problems.append("The file has a header but nobody in it.")
    return Roster(rows=rows, problems=problems)


_ANGLED = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]+)>\s*$")


def _name_from_address(email: str) -> str:
    # "ada.lovelace@..." -> "Ada Lovelace": a bare address still gets a name to greet.
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._\-+]+", local) if part)


def _split_line(line: str) -> tuple[str, str, bool]:
    """(name, email, name_guessed) from 'Name <email>', 'Name, email', 'Name<TAB>email'
    (pasted from a spreadsheet), 'Name email' or a bare email."""
    angled = _ANGLED.match(line)
    if angled:
        return " ".join(angled["name"].strip(" \"'").split()), angled["email"].strip(), False
    parts = [" ".join(p.strip(" \"'").split()) for p in re.split(r"[,;\t]", line)]
    parts = [p for p in parts if p]
    if len(parts) == 1:
        # "Name email" or just the email: the word with an @ is the address.
        words = parts[0].split()
        parts = [" ".join(w for w in words if "@" not in w)] + [w for w in words if "@" in w]
        parts = [p for p in parts if p]
    emails = [p for p in parts if "@" in p]
    names = [p for p in parts if "@" not in p]
    if len(parts) == 2 and not emails:
        # "Name, address" with the address mistyped: said as a bad address, not a lost one.
        return parts[0], parts[1], False
    if not names and len(emails) == 1:
        return _name_from_address(emails[0]), emails[0], True
    if len(emails) == 1:
        return " ".join(names), emails[0], False
    return " ".join(names), ",".join(emails), False


def parse_pasted(text: str) -> Roster:
    """People pasted one a line; rows are numbered by line, as the lead sees them."""
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(rows) >= MAX_ROWS:
            return Roster(rows=rows, problems=[f"More than {MAX_ROWS} people: split the list."])
        name, email, guessed = _split_line(line)
        row = RosterRow(row=n, name=name, email=email)
        if not email:
            row.errors.append("no email address on this line")
        else:
            try:
                row.email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                row.errors.append(f"email {email!r} is not valid: {exc}")
        if not name and not row.errors:
            row.errors.append("name is missing")
        if len(name) > MAX_NAME:
            row.errors.append(f"name is longer than {MAX_NAME} characters")
        if guessed and not row.errors:
            row.name = _name_from_address(row.email)
        key = row.email.lower()
        if row.errors:
            row.status = "error"
        elif key in seen:
            row.status = "duplicate"
            row.errors.append(f"same email as line {seen[key]}: listed once")
        else:
            seen[key] = n
        rows.append(row)
    return Roster(rows=rows)
