"""A trust's view of its schools (figures, never names) and, on an event's page, whether
practice led to impact. Answers go in through the activity that records them, so the
running totals are kept as they are in a school's year."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from activities.contracts import AnswerRecordIn
from activities.records import RecordActivities
from cpd.counters import bump
from cpd.db import Transactions
from cpd.models import Event, Participant
from services import admin
from tests.support.events import event
from tests.support.signin import sign_in, sign_in_as_lead, sign_out
from tests.support.stack import Stack, StackFactory

# Steps weeks and months on from an event dated 12 days ago: nothing is sent while a test
# runs; the answers below are recorded as the workflows would record them.
PLAN = {
    "id": "practice-then-impact",
    "name": "Practice, then impact",
    "steps": [
        {"id": "checkin-2", "kind": "practice_checkin", "offset_days": 14},
        {"id": "checkin-6", "kind": "practice_checkin", "offset_days": 42},
        {"id": "reflect", "kind": "reflection", "offset_days": 60},
        {"id": "impact-3", "kind": "impact_check", "offset_days": 91, "guskey_level": 4},
        {"id": "pupils-6", "kind": "impact_check", "offset_days": 182, "guskey_level": 5},
    ],
}
NAME = "Zebedee Quillfeather"
REFLECTION = "Quietly proud of how the seating plan worked"


def people(prefix: str, n: int) -> list[dict[str, str]]:
    first = [{"name": NAME, "email": f"{prefix}0@school.example"}]
    return first + [
        {"name": f"Teacher {prefix}{i}", "email": f"{prefix}{i}@school.example"}
        for i in range(1, n)
    ]


async def new_event(s: Stack, ref: str, who: list[dict[str, str]], key: str = "") -> str:
    body = event(ref, who, plan=PLAN, title=f"Event {ref}")
    created = await s.api.post("/v1/events", json=body, headers=s.auth(key or None))
    assert created.status_code in (200, 201), created.text
    return str(created.json()["id"])


@asynccontextmanager
async def recorder(s: Stack) -> AsyncIterator[Any]:
    """``answer(event_id, email, step, choice, text="")`` and ``asked(event_id, step, n)``:
    the activities' own writes, with their running totals."""
    tx = Transactions(s.db)
    records = RecordActivities(tx)

    async def answer(event_id: str, email: str, step: str, choice: str, text: str = "") -> None:
        async with s.db() as db:
            found = await db.exec(
                select(Participant).where(
                    Participant.event_id == event_id, Participant.email == email
                )
            )
            person = found.one()
        await records.record_answer(
            AnswerRecordIn(
                participant_id=person.id,
                school_id=person.school_id,
                step_id=step,
                choice=choice,
                text=text,
                fields={"share": "yes"} if text else {},
                late=False,
                answered_at=datetime.now(UTC),
            )
        )

    async def asked(event_id: str, step: str, n: int) -> None:
        await tx.write(bump, event_id, step, n)  # the first emails for a step, as sent

    try:
        yield answer, asked
    finally:
        tx.close()


def rows_of(response: Any) -> dict[str, dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {r.get("School") or r["Event"]: r for r in rows}


IMPACT_3 = "Level 4, Teachers' practice, at 3 months"


async def test_a_trust_sees_its_schools_figures_and_never_names(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        other, other_key = await s.new_school()
        third, third_key = await s.new_school()
        await admin.create_trust(s.db, "oak", "Oak Trust", [s.school_id, other])
        await admin.create_trust(s.db, "elm", "Elm Trust", [third])
        await admin.add_leader(s.db, "ceo@oak.example", "trust", trust_id="oak")
        await admin.add_leader(s.db, "ceo@elm.example", "trust", trust_id="elm")
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)

        hill = await new_event(s, "hill", people("h", 6))
        small = await new_event(s, "small", people("o", 5), other_key)
        old = await new_event(s, "old", people("p", 5))
        await new_event(s, "elm", people("e", 5), third_key)
        async with s.db() as db:  # last year's event (the API takes only recent dates)
            row = await db.get(Event, old)
            assert row is not None
            last_autumn = date.today().year - (1 if date.today().month >= 9 else 2)
            row.event_date = date(last_autumn, 10, 1)
            await db.commit()

        async with recorder(s) as (answer, asked):
            for i, rating in enumerate(["4", "4", "5", "3", "4", "2"]):
                await answer(hill, f"h{i}@school.example", "impact-3", rating)
            await answer(hill, "h0@school.example", "checkin-2", "need_help")
            await answer(hill, "h0@school.example", "reflect", "", REFLECTION)
            await asked(hill, "impact-3", 6)
            await asked(hill, "checkin-2", 6)
            await asked(hill, "reflect", 6)
            await asked(small, "impact-3", 5)
            for i, rating in enumerate(["5", "5", "4", "4"]):  # 4 of the school's 5 teachers
                await answer(small, f"o{i}@school.example", "impact-3", rating)
            for i in range(5):
                await answer(old, f"p{i}@school.example", "impact-3", "1")

            await sign_in(s, "ceo@oak.example")
            home = await s.api.get("/dashboard")
            assert home.status_code == 200 and "Across the trust" in home.text
            assert "Hillside Academy" in home.text and f"School {other}" in home.text
            assert f"School {third}" not in home.text  # another trust's school
            # This year: the other school's four ratings are hidden, and so are Hillside's,
            # or the whole trust's less Hillside's would give them away.
            assert "4.00 (10 answers)" in home.text  # the whole trust: (22 + 18) / 10
            assert "4.50" not in home.text and "3.67" not in home.text
            assert ">fewer than 5<" in home.text and ">not shown<" in home.text
            assert "fewer than 5 teachers is shown as" in home.text  # the page says so
            rows = rows_of(await s.api.get("/dashboard/trust/export.csv"))
            hillside, smaller = rows["Hillside Academy"], rows[f"School {other}"]
            whole = rows["Oak Trust (whole trust)"]
            assert hillside["Events"] == "1" and hillside["Teachers"] == "6"
            assert (hillside[f"{IMPACT_3}: answers"], hillside[f"{IMPACT_3}: mean"]) == (
                "not shown",
                "",
            )
            assert hillside["Help requests: New"] == "fewer than 5"  # one teacher asked
            assert smaller["Teachers"] == "5"
            assert smaller[f"{IMPACT_3}: answers"] == "fewer than 5"
            assert smaller[f"{IMPACT_3}: mean"] == ""
            assert smaller["Answered"] == "fewer than 5"
            assert (hillside["Answered"], hillside["Response rate"]) == ("not shown", "not shown")
            assert whole["Events"] == "2" and whole["Teachers"] == "11"
            assert whole[f"{IMPACT_3}: answers"] == "10"
            assert whole[f"{IMPACT_3}: mean"] == "4.0"

            # The fifth teacher's rating: now every school's figure shows.
            await answer(small, "o4@school.example", "impact-3", "2")
            home = await s.api.get("/dashboard/trust")
            assert "3.67 (6 answers)" in home.text and ">not shown<" not in home.text
            rows = rows_of(await s.api.get("/dashboard/trust/export.csv"))
            hillside, smaller = rows["Hillside Academy"], rows[f"School {other}"]
            whole = rows["Oak Trust (whole trust)"]
            assert hillside[f"{IMPACT_3}: answers"] == "6"
            assert hillside[f"{IMPACT_3}: mean"] == "3.67"  # 22 / 6
            assert smaller[f"{IMPACT_3}: answers"] == "5"
            assert smaller[f"{IMPACT_3}: mean"] == "4.0"  # 20 / 5
            assert whole[f"{IMPACT_3}: mean"] == "3.82"  # 42 / 11
            # 8 answers (6 ratings, a check-in, a reflection) of 18 questions asked
            assert (hillside["Questions asked"], hillside["Answered"]) == ("18", "8")
            assert hillside["Response rate"] == "44%"
            assert (smaller["Questions asked"], smaller["Response rate"]) == ("5", "100%")
            assert whole["Response rate"] == "57%"  # 13 / 23
            drill = await s.api.get(f"/dashboard/trust/schools/{other}")
            assert drill.status_code == 200 and "4.00 (5 answers)" in drill.text
            assert "Event small" in drill.text

        # Last academic year: only the event dated then.
        year = await s.api.get(f"/dashboard/trust?year={last_autumn}")
        assert f"September {last_autumn} to August {last_autumn + 1}" in year.text
        assert "1.00 (5 answers)" in year.text and "3.67" not in year.text
        assert f'<option value="{last_autumn + 1}">' in year.text  # this year, still offered
        last = rows_of(await s.api.get(f"/dashboard/trust/export.csv?year={last_autumn}"))
        assert last["Oak Trust (whole trust)"]["Events"] == "1"
        assert last["Hillside Academy"][f"{IMPACT_3}: mean"] == "1.0"
        school_last = await s.api.get(
            f"/dashboard/trust/schools/{s.school_id}/export.csv?year={last_autumn}"
        )
        assert "Event old" in school_last.text and "Event hill" not in school_last.text
        bad = await s.api.get("/dashboard/trust?year=nineteen")
        assert bad.status_code == 422 and "Choose an academic year from the list." in bad.text

        # No teacher's name, address or words anywhere a trust can reach.
        reachable = [
            "/dashboard/trust",
            "/dashboard/trust/export.csv",
            f"/dashboard/trust/schools/{s.school_id}",
            f"/dashboard/trust/schools/{s.school_id}/export.csv",
            f"/dashboard/trust/schools/{other}",
            f"/dashboard/trust/schools/{other}/export.csv",
        ]
        for path in reachable:
            got = await s.api.get(path)
            assert got.status_code == 200, path
            for secret in (NAME, REFLECTION, "h0@school.example", "Teacher h1"):
                assert secret not in got.text, (path, secret)
        # An event's own page (unsuppressed counts, for the school's leaders) is not the
        # trust's: its schools' events are in the drill-down.
        assert (await s.api.get(f"/dashboard/events/{hill}")).status_code == 404
        # Another trust's school is not there for Oak.
        assert (await s.api.get(f"/dashboard/trust/schools/{third}")).status_code == 404
        assert (await s.api.get(f"/dashboard/trust/schools/{third}/export.csv")).status_code == 404
        await sign_out(s)

        # Elm's leader cannot see Oak's schools.
        await sign_in(s, "ceo@elm.example")
        for path in reachable[2:]:
            assert (await s.api.get(path)).status_code == 404, path
        assert "Hillside Academy" not in (await s.api.get("/dashboard/trust")).text
        await sign_out(s)

        # A school's leader, or its CPD lead, gets no trust pages at all.
        for sign in (lambda: sign_in(s, "deputy@hillside.example"), lambda: sign_in_as_lead(s)):
            await sign()
            for path in reachable:
                assert (await s.api.get(path)).status_code == 404, path
            await sign_out(s)


async def test_did_practice_lead_to_impact(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        ev = await new_event(s, "practice", people("t", 11))
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)
        twice = [  # said "twice or more" at one check-in before the 3-month check
            ({"checkin-2": "tried_once", "checkin-6": "tried_twice"}, "4"),
            ({"checkin-2": "tried_twice"}, "5"),
            ({"checkin-6": "tried_twice"}, "4"),
            ({"checkin-2": "tried_twice", "checkin-6": "tried_twice"}, "5"),
            ({"checkin-2": "not_yet", "checkin-6": "tried_twice"}, "3"),
        ]
        not_twice = [
            ({"checkin-2": "tried_once", "checkin-6": "not_yet"}, "2"),
            ({"checkin-6": "not_yet"}, "3"),
            ({"checkin-2": "need_help"}, "2"),
            ({"checkin-2": "tried_once", "checkin-6": "tried_once"}, "3"),
        ]
        async with recorder(s) as (answer, _):
            for i, (checkins, rating) in enumerate(twice + not_twice):
                for step, choice in checkins.items():
                    await answer(ev, f"t{i}@school.example", step, choice)
                await answer(ev, f"t{i}@school.example", "impact-3", rating)
            # Answered no check-in: in neither group.
            await answer(ev, "t10@school.example", "impact-3", "1")

            # Five said twice, four did not: nothing to compare yet.
            impact = (await s.api.get(f"/v1/events/{ev}/impact", headers=s.auth())).json()
            [three, six] = impact["practice"]
            assert three["title"] == "3-month impact check"
            assert three["checkins"] == ["Week 2 check-in", "Week 6 check-in"]
            assert three["tried_twice"] is None and three["not_twice"] is None
            not_enough = "Not enough answers yet to compare (each group needs 5 teachers)."
            assert three["summary"] == not_enough
            assert six["title"] == "6-month impact check" and six["summary"] == not_enough
            await sign_in_as_lead(s)
            page = (await s.api.get(f"/dashboard/events/{ev}")).text
            assert "Did practice lead to impact?" in page and not_enough in page
            assert "2.50" not in page and "2.5 (" not in page

            # The fifth who had not: tried once at each check-in, rated 2.
            await answer(ev, "t9@school.example", "checkin-2", "tried_once")
            await answer(ev, "t9@school.example", "impact-3", "2")

        impact = (await s.api.get(f"/v1/events/{ev}/impact", headers=s.auth())).json()
        three = impact["practice"][0]
        assert three["tried_twice"] == {"teachers": 5, "mean": 4.2}  # 21 / 5
        assert three["not_twice"] == {"teachers": 5, "mean": 2.4}  # 12 / 5
        said = (
            "Teachers who had tried it twice or more by the Week 6 check-in rated the "
            "3-month impact check 4.2 on average (5 teachers); those who had not, 2.4 "
            "(5 teachers)."
        )
        assert three["summary"] == said
        # The lead's page says it, and so does a leader's.
        assert said in (await s.api.get(f"/dashboard/events/{ev}")).text
        await sign_out(s)
        await sign_in(s, "deputy@hillside.example")
        assert said in (await s.api.get(f"/dashboard/events/{ev}")).text
