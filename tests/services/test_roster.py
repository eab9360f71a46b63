"""Rosters exported from a school's MIS, with their quirks."""

from __future__ import annotations

from sqlmodel import func, select

from cpd.models import Event
from cpd.roster import parse_roster
from tests.support.events import days_ago
from tests.support.rosters import SIMS
from tests.support.stack import StackFactory


def test_a_sims_export_with_bom_blank_rows_duplicates_and_a_bad_email() -> None:
    roster = parse_roster(SIMS.encode("utf-8"))
    assert [(r.row, r.status) for r in roster.rows] == [
        (2, "ok"),
        (3, "ok"),
        (5, "duplicate"),
        (6, "error"),
    ]
    assert roster.rows[0].name == "Siân Evans"
    assert "same email as row 2" in roster.rows[2].errors[0]
    assert "tom.jones@hillside" in roster.rows[3].errors[0]
    assert not roster.ok
    assert [p.email for p in roster.people] == [
        "sian.evans@hillside.example",
        "zoe.brown@hillside.example",
    ]


def test_semicolons_and_excel_text_cells_from_european_excel() -> None:
    data = 'First Name;Last Name;Email Address\n="Ana";="Silva";="ana@escola.example"\n\n'
    roster = parse_roster(data.encode("utf-8"))
    assert roster.ok
    assert [(r.name, r.email) for r in roster.people] == [("Ana Silva", "ana@escola.example")]


def test_one_name_column_and_windows_1252() -> None:
    data = "Name,Email\r\nSiân O'Neill,sian@hillside.example\r\n".encode("cp1252")
    roster = parse_roster(data)
    assert roster.ok and roster.people[0].name == "Siân O'Neill"


def test_a_file_without_the_columns_says_what_is_missing() -> None:
    roster = parse_roster(b"Staff code,Room\nAB,12\n")
    assert not roster.ok and roster.rows == []
    assert any("email column" in p for p in roster.problems)
    assert any("name columns" in p for p in roster.problems)
    assert parse_roster(b"").problems == ["The file is empty."]
    assert parse_roster(b"Name,Email\n\n").problems == ["The file has a header but nobody in it."]


async def test_a_roster_with_errors_creates_nothing_and_names_the_rows(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        form = {"reference": "inset-jan", "title": "Retrieval practice", "event_date": days_ago(12)}
        files = {"file": ("staff.csv", SIMS.encode("utf-8"), "text/csv")}
        check = await s.api.post("/v1/rosters/check", files=files, headers=s.auth())
        assert check.json()["people"] == 2 and check.json()["errors"] == 1

        refused = await s.api.post("/v1/events.csv", data=form, files=files, headers=s.auth())
        assert refused.status_code == 422
        body = refused.json()
        assert body["error"] == "invalid_roster"
        assert [f["field"] for f in body["fields"]] == ["row 6"]
        async with s.db() as session:
            assert (await session.exec(select(func.count()).select_from(Event))).one() == 0

        fixed = SIMS.replace("tom.jones@hillside,", "tom.jones@hillside.example,")
        files = {"file": ("staff.csv", fixed.encode("utf-8"), "text/csv")}
        created = await s.api.post("/v1/events.csv", data=form, files=files, headers=s.auth())
        assert created.status_code == 201, created.text
        assert created.json()["participant_count"] == 3  # Siân once, not twice
        await s.smtp.inbox.wait_for(3)
        assert len(s.smtp.inbox.to("sian.evans@hillside.example")) == 1

        more = (
            "Name;Email\nAda Lovelace;ada@hillside.example\nZoë Brown;zoe.brown@hillside.example\n"
        )
        added = await s.api.post(
            f"/v1/events/{created.json()['id']}/participants.csv",
            files={"file": ("more.csv", more.encode("utf-8"), "text/csv")},
            headers=s.auth(),
        )
        assert [p["email"] for p in added.json()["added"]] == ["ada@hillside.example"]
        assert added.json()["already_in_event"] == ["zoe.brown@hillside.example"]
