"""Staff rosters (an MIS export) as the API and the CLI take them: checked row by row.

Every row gets a verdict. A file with any error creates nothing: the school
fixes the rows named in the report and sends it again. Duplicate rows are
listed once and reported, not refused.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from cpd.roster import Roster, parse_roster
from services.errors import Invalid, TooLarge
from services.schemas import EventCreate, ParticipantIn, RosterReport, RosterRowOut

MAX_CSV_BYTES = 5 * 1024 * 1024


def read_roster(data: bytes) -> Roster:
    """``data`` is read one byte past the limit, so a file too big is known to be."""
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge("The file is over 5 MB: split it into smaller files.")
    return parse_roster(data)


def report(roster: Roster) -> RosterReport:
    rows = [
        RosterRowOut(row=r.row, name=r.name, email=r.email, status=r.status, errors=r.errors)
        for r in roster.rows
    ]
    return RosterReport(
        ok=roster.ok,
        problems=roster.problems,
        people=len(roster.people),
        duplicates=sum(r.status == "duplicate" for r in roster.rows),
        errors=sum(r.status == "error" for r in roster.rows),
        rows=rows,
    )


def people(roster: Roster) -> list[ParticipantIn]:
    """Everyone on a roster with no errors; refused, naming each bad row, if it has any."""
    if not roster.ok:
        bad = [r for r in report(roster).rows if r.status == "error"]
        detail = (
            "; ".join(roster.problems) or f"{len(bad)} row(s) need fixing; nothing was created."
        )
        raise Invalid(
            detail,
            [
                {"field": f"row {r.row}", "message": "; ".join(r.errors), "email": r.email}
                for r in bad
            ],
            code="invalid_roster",
        )
    return [ParticipantIn(name=r.name, email=r.email, language=r.language) for r in roster.people]


def event_from(
    roster: Roster, reference: str, title: str, event_date: date, plan_id: str
) -> EventCreate:
    """The trigger a roster describes, checked like any other."""
    try:
        return EventCreate(
            reference=reference,
            title=title,
            event_date=event_date,
            plan_id=plan_id,
            participants=people(roster),
        )
    except ValidationError as exc:
        raise Invalid(str(exc.errors()[0]["msg"])) from exc
