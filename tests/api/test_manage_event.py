"""A CPD lead manages a running event from the dashboard: people, timelines, the controls,
adding people, the whole event, and data-protection requests. Nobody else can."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import Event, Participant
from services import admin
from tests.support.events import days_ago
from tests.support.evidence import PNG
from tests.support.inbox import links_of, text_of
from tests.support.signin import form_token, post_form, sign_in, sign_in_as_lead, sign_out
from tests.support.stack import Stack, StackFactory
from tests.support.walk import Walker
from tests.support.year import school_year_now

# A reflection sent at once (it is not skipped for people added later), then a step two
# months on that keeps everyone's follow-through running meanwhile.
PLAN = {
    "id": "reflect-then-impact",
    "name": "Reflect",
    "steps": [
        {"id": "reflection", "kind": "reflection", "offset_days": 0, "title": "First thoughts"},
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}
ADA = {"name": "Ada Lovelace", "email": "ada@hillside.example"}
ALAN = {"name": "Alan Turing", "email": "alan@hillside.example"}


async def start(s: Stack, people: list[dict[str, str]] | None = None) -> str:
    body = {
        "reference": "inset",
        "title": "Coaching",
        "event_date": days_ago(12),
        "plan": PLAN,
        "participants": people or [ADA, ALAN],
    }
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def people_of(s: Stack, event_id: str) -> dict[str, Participant]:
    async with s.db() as db:
        rows = await db.exec(select(Participant).where(Participant.event_id == event_id))
        return {p.name: p for p in rows.all()}


async def live(s: Stack, event_id: str, pid: str) -> dict[str, Any]:
    url = f"/v1/events/{event_id}/participants/{pid}"
    timeline: dict[str, Any] = (await s.api.get(url, headers=s.auth())).json()["timeline"]
    return timeline


async def eventually(check: Any, seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("never happened")


async def test_a_cpd_lead_manages_one_teacher(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        event_id = await start(s)
        [first] = await s.smtp.inbox.wait_for(1, "ada@")
        await s.smtp.inbox.wait_for(1, "alan@")
        ada = (await people_of(s, event_id))["Ada Lovelace"]
        await sign_in_as_lead(s)

        listed = await s.api.get(f"/dashboard/events/{event_id}/people")
        assert listed.status_code == 200
        assert "Ada Lovelace" in listed.text and "Alan Turing" in listed.text
        assert "First thoughts" in listed.text  # the step's title, not its id
        assert ">reflection<" not in listed.text

        base = f"/dashboard/events/{event_id}/people/{ada.id}"
        timeline = await s.api.get(base)
        assert "First thoughts" in timeline.text and "Sent" in timeline.text
        assert "Waiting for their answer: First thoughts" in timeline.text
        assert "2-month impact check, due" in timeline.text  # what comes next, and when
        assert str(first["Subject"]) in timeline.text  # the email sent, by subject

        # A fresh link: exactly one email, and the page says what it was.
        before = len(s.smtp.inbox.to("ada@"))
        resent = await post_form(s, base + "/resend")
        assert resent.status_code == 303
        shown = await s.api.get(resent.headers["location"])
        assert "Sent one email to ada@hillside.example" in shown.text
        mails = await s.smtp.inbox.wait_for(before + 1, "ada@")
        await asyncio.sleep(0.5)
        assert len(s.smtp.inbox.to("ada@")) == before + 1
        assert "Your CPD lead asked us to send you" in text_of(mails[-1])
        portfolio = next(x for x in links_of(mails[-1]) if "/p/" in x)
        assert (await s.api.get(portfolio)).status_code == 200
        # The link it replaces now says so.
        old = next(x for x in links_of(mails[0]) if "/a/" in x)
        assert "replaced" in (await s.api.get(old)).text

        # A bad address is refused beside the field, and nothing changes.
        bad = await post_form(s, base + "/email", {"email": "not an address"})
        assert bad.status_code == 422
        assert 'role="alert"' in bad.text and "Enter an email address" in bad.text
        assert 'value="not an address"' in bad.text
        taken = await post_form(s, base + "/email", {"email": ALAN["email"]})
        assert (
            taken.status_code == 422 and "Someone else in this event has that email" in taken.text
        )
        assert (await people_of(s, event_id))["Ada Lovelace"].email == ADA["email"]
        moved = await post_form(s, base + "/email", {"email": "ada.l@hillside.example"})
        assert moved.status_code == 303
        assert "Address changed" in (await s.api.get(moved.headers["location"])).text
        assert (await people_of(s, event_id))["Ada Lovelace"].email == "ada.l@hillside.example"

        # Pause and resume: the workflow's own state says so.
        assert (await post_form(s, base + "/pause")).status_code == 303
        assert (await live(s, event_id, ada.id))["paused"] is True
        page = (await s.api.get(base)).text
        assert "(paused)" in page and "Resume Ada Lovelace" in page
        assert (await post_form(s, base + "/resume")).status_code == 303
        assert (await live(s, event_id, ada.id))["paused"] is False

        # Removal asks first, saying that their emails stop.
        confirm = await s.api.get(base + "/remove")
        assert "no more emails are sent to them" in confirm.text
        removed = await post_form(s, base + "/remove")
        assert removed.status_code == 303
        assert "has ended" in (await s.api.get(removed.headers["location"])).text
        assert (await live(s, event_id, ada.id))["withdrawn"] is True

        csv = await s.api.get(f"/dashboard/events/{event_id}/export.csv")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "Alan Turing" in csv.text and "First thoughts" in csv.text


async def test_people_are_added_once_with_every_bad_row_named(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        event_id = await start(s, [ADA])
        await sign_in_as_lead(s)
        add = f"/dashboard/events/{event_id}/add"
        assert 'for="pasted"' in (await s.api.get(add)).text

        pasted = "Grace Hopper, grace@hillside.example\nKatherine Johnson, not-an-address\n"
        refused = await post_form(s, add, {"pasted": pasted})
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        assert "Line 2 (Katherine Johnson)" in refused.text
        assert "grace@hillside.example" in refused.text  # their list is kept to fix
        assert set(await people_of(s, event_id)) == {"Ada Lovelace"}

        good = "Grace Hopper, grace@hillside.example\nKatherine Johnson\tkj@hillside.example"
        good = good.replace("\t", ", ")
        first = await post_form(s, add, {"pasted": good})
        assert first.status_code == 303
        assert "Added 2 people" in (await s.api.get(first.headers["location"])).text
        again = await post_form(s, add, {"pasted": good})  # the button pressed twice
        assert "2 were in this event already" in (await s.api.get(again.headers["location"])).text
        assert set(await people_of(s, event_id)) == {
            "Ada Lovelace",
            "Grace Hopper",
            "Katherine Johnson",
        }
        await s.smtp.inbox.wait_for(1, "grace@")
        await s.smtp.inbox.wait_for(1, "kj@")

        # Two presses at once (a few times over, so the two requests do overlap): one adds,
        # the other finds them in the event already.
        token = form_token((await s.api.get(add)).text)
        for i in range(4):
            twice = {"pasted": f"Twice {i}, twice{i}@hillside.example", "csrf": token}
            both = await asyncio.gather(*(s.api.post(add, data=twice) for _ in range(2)))
            said = sorted(r.headers.get("location", r.text[-300:]) for r in both)
            assert [r.status_code for r in both] == [303, 303], said
            assert said[0].endswith("added=0&already=1") and said[1].endswith("added=1&already=0")
            await s.smtp.inbox.wait_for(1, f"twice{i}@")

        # A roster file, the same way.
        roster = b"Forename,Surname,Email\nMary,Jackson,mary@hillside.example\n"
        uploaded = await post_form(
            s, add, files={"file": ("staff.csv", roster, "text/csv")}, data={"pasted": ""}
        )
        assert uploaded.status_code == 303, uploaded.text
        await s.smtp.inbox.wait_for(1, "mary@")
        await asyncio.sleep(0.5)
        for who in ("grace@", "kj@", "mary@", *(f"twice{i}@" for i in range(4))):
            assert len(s.smtp.inbox.to(who)) == 1, who
        # A broken workbook is refused in words, and nobody is added.
        workbook = io.BytesIO()
        with zipfile.ZipFile(workbook, "w") as z:
            z.writestr("xl/workbook.xml", "<workbook/>")
        xlsx = await post_form(
            s, add, files={"file": ("staff.xlsx", workbook.getvalue())}, data={"pasted": ""}
        )
        assert xlsx.status_code == 422 and "This Excel file could not be opened" in xlsx.text
        empty = await post_form(s, add, {"pasted": "  "})
        assert empty.status_code == 422 and "Paste names" in empty.text


async def test_pause_resume_and_cancel_the_whole_event(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        event_id = await start(s)
        await s.smtp.inbox.wait_for(1, "ada@")
        await s.smtp.inbox.wait_for(1, "alan@")
        people = await people_of(s, event_id)
        await sign_in_as_lead(s)
        base = f"/dashboard/events/{event_id}"

        paused = await post_form(s, base + "/pause")
        assert "Pausing everyone" in (await s.api.get(paused.headers["location"])).text

        async def all_paused(value: bool) -> bool:
            return all(
                [(await live(s, event_id, p.id))["paused"] is value for p in people.values()]
            )

        await eventually(lambda: all_paused(True))
        await post_form(s, base + "/resume")
        await eventually(lambda: all_paused(False))

        confirm = await s.api.get(base + "/cancel")
        assert "all 2 teachers" in confirm.text and "no more emails are sent" in confirm.text
        cancelled = await post_form(s, base + "/cancel")
        assert cancelled.status_code == 303

        async def all_withdrawn() -> bool:
            return all([(await live(s, event_id, p.id))["withdrawn"] for p in people.values()])

        await eventually(all_withdrawn)
        async with s.db() as db:
            assert (await db.get(Event, event_id)).cancelled_at is not None  # type: ignore[union-attr]
        page = (await s.api.get(base + "/people")).text
        assert "Add people" not in page and "Pause everyone" not in page
        late = await post_form(s, base + "/add", {"pasted": "Late One, late@hillside.example"})
        assert late.status_code == 409 and "cancelled" in late.text


async def test_nobody_else_can_see_or_do_any_of_it(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        event_id = await start(s)
        await s.smtp.inbox.wait_for(1, "ada@")
        ada = (await people_of(s, event_id))["Ada Lovelace"]
        other_school, _ = await s.new_school()
        await admin.add_leader(s.db, "deputy@hillside.example", "leader", school_id=s.school_id)
        base = f"/dashboard/events/{event_id}"
        person = f"{base}/people/{ada.id}"
        pages = [base + "/people", base + "/export.csv", base + "/add", base + "/cancel", person]
        pages.append(person + "/remove")
        actions = {
            base + "/pause": {},
            base + "/resume": {},
            base + "/cancel": {},
            base + "/add": {"pasted": "Eve, eve@hillside.example"},
            person + "/pause": {},
            person + "/resume": {},
            person + "/remove": {},
            person + "/resend": {},
            person + "/email": {"email": "eve@hillside.example"},
            "/dashboard/data/export": {"email": ADA["email"]},
            "/dashboard/data/erase": {"email": ADA["email"], "confirm": "yes"},
        }

        async def refused_everything() -> None:
            for path in pages:
                assert (await s.api.get(path)).status_code == 404, path
            for path, data in actions.items():
                response = await post_form(s, path, data)
                assert response.status_code == 404, path
                if path.startswith("/dashboard/data"):
                    assert b"PK" not in response.content[:2]

        # Another school's CPD lead; this school's plain leader.
        await sign_in_as_lead(s, other_school)
        await refused_everything()
        await sign_out(s)
        await sign_in(s, "deputy@hillside.example")
        await refused_everything()
        assert (await s.api.get("/dashboard/data")).status_code == 404
        await sign_out(s)

        # This school's lead, but a form without its token.
        await sign_in_as_lead(s)
        stale = await s.api.post(person + "/email", data={"email": "eve@hillside.example"})
        assert stale.status_code == 403
        stale = await s.api.post(base + "/cancel", data={})
        assert stale.status_code == 403

        # Nothing changed anywhere.
        now = await people_of(s, event_id)
        assert now["Ada Lovelace"].email == ADA["email"] and len(now) == 2
        async with s.db() as db:
            assert (await db.get(Event, event_id)).cancelled_at is None  # type: ignore[union-attr]
        timeline = await live(s, event_id, ada.id)
        assert timeline["paused"] is False and timeline["withdrawn"] is False
        assert len(s.smtp.inbox.to("ada@")) == 1 and s.smtp.inbox.to("eve@") == []
        # An event id that is nobody's.
        assert (await s.api.get("/dashboard/events/nope/people")).status_code == 404


async def test_a_subject_access_export_holds_everything_then_erasure_removes_it(
    dev_stack: StackFactory,
) -> None:
    secret = "private-words-for-me-only"
    async with dev_stack() as s:
        event_id = await start(s)
        [mail] = await s.smtp.inbox.wait_for(1, "alan@")
        links = links_of(mail)
        answer = next(x for x in links if "/a/" in x)
        portfolio = next(x for x in links if "/p/" in x)
        assert "recorded" in (await s.api.post(answer, data={"text": secret})).text
        added = await s.api.post(
            portfolio + "/evidence",
            data={"note": "Quiz results"},
            files={"file": ("quiz.png", PNG, "image/png")},
        )
        assert added.status_code == 200
        alan = (await people_of(s, event_id))["Alan Turing"]
        await sign_in_as_lead(s)

        # The dashboard keeps the private reflection private...
        timeline = await s.api.get(f"/dashboard/events/{event_id}/people/{alan.id}")
        assert secret not in timeline.text and "private reflection" in timeline.text

        # ...the teacher's own data export holds it, and says whom it is for.
        found = await post_form(s, "/dashboard/data/find", {"email": "ALAN@hillside.example"})
        assert found.status_code == 200 and "Coaching" in found.text
        assert "reflections they kept private" in found.text
        download = await post_form(s, "/dashboard/data/export", {"email": ALAN["email"]})
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        names = archive.namelist()
        assert "README.txt" in names and "data.json" in names
        [evidence_file] = [n for n in names if n.startswith("evidence/")]
        assert evidence_file.endswith("-quiz.png") and archive.read(evidence_file) == PNG
        data = json.loads(archive.read("data.json"))
        [held] = data["follow_throughs"]
        assert held["event"]["title"] == "Coaching"
        assert held["record"]["name"] == "Alan Turing"
        [reflection] = held["answers"]
        assert reflection["text"] == secret and reflection["shared_with_lead"] is False
        assert reflection["step"] == "First thoughts"
        assert held["evidence"][0]["note"] == "Quiz results"
        assert held["evidence"][0]["file"] == evidence_file
        assert held["emails"][0]["to"] == ALAN["email"] and held["emails"][0]["subject"]
        assert held["timeline"]["steps"][0]["title"] == "First thoughts"
        assert held["timeline"]["steps"][0]["answer"]["text"] == secret
        readme = archive.read("README.txt").decode()
        assert "data.json" in readme and "evidence/" in readme and "private" in readme

        blank = await post_form(s, "/dashboard/data/find", {"email": " "})
        assert blank.status_code == 422 and "Enter the email address" in blank.text
        nobody = await post_form(s, "/dashboard/data/export", {"email": "x@hillside.example"})
        assert nobody.status_code == 404 and 'role="alert"' in nobody.text

        # Erasure asks first, then removes them.
        sure = await post_form(s, "/dashboard/data/erase", {"email": ALAN["email"]})
        assert sure.status_code == 200 and "cannot be undone" in sure.text
        assert "Alan Turing" in (await people_of(s, event_id))
        token = form_token(sure.text)
        gone = await s.api.post(
            "/dashboard/data/erase", data={"email": ALAN["email"], "confirm": "yes", "csrf": token}
        )
        assert gone.status_code == 200 and "Erased: 1 follow-through" in gone.text
        assert set(await people_of(s, event_id)) == {"Ada Lovelace"}


TWO_STEPS = {
    "id": "two-reflections",
    "name": "Two reflections",
    "steps": [
        {"id": "first", "kind": "reflection", "offset_days": 0, "title": "First thoughts"},
        {"id": "second", "kind": "reflection", "offset_days": 7, "title": "A week on"},
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}


async def test_a_paused_teacher_misses_the_next_step_and_a_new_address_gets_it(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=14)
    async with ts_stack(year.calendar) as s:
        body = {
            "reference": "two",
            "title": "Coaching",
            "event_date": monday.isoformat(),
            "plan": TWO_STEPS,
            "participants": [ADA, ALAN],
        }
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        event_id = created.json()["id"]
        ada_walk, alan_walk = Walker(time_env, s, ADA["email"]), Walker(time_env, s, ALAN["email"])
        await ada_walk.days(lead + 1)
        await alan_walk.collect()
        assert [r.step_id for r in ada_walk.received] == ["first"]
        assert [r.step_id for r in alan_walk.received] == ["first"]

        people = await people_of(s, event_id)
        await sign_in_as_lead(s)
        base = f"/dashboard/events/{event_id}/people"
        assert (await post_form(s, f"{base}/{people['Ada Lovelace'].id}/pause")).status_code == 303
        moved = await post_form(
            s, f"{base}/{people['Alan Turing'].id}/email", {"email": "alan.t@hillside.example"}
        )
        assert moved.status_code == 303
        new_walk = Walker(time_env, s, "alan.t@hillside.example")

        await ada_walk.days(10)
        await alan_walk.collect()
        await new_walk.collect()
        assert [r.step_id for r in ada_walk.received] == ["first"]  # nothing while paused
        assert [r.step_id for r in alan_walk.received] == ["first"]  # not the old address
        assert "second" in [r.step_id for r in new_walk.received if r.purpose == "initial"]

        # Resumed, the rest of her plan moves on by the time paused, and comes.
        assert (await post_form(s, f"{base}/{people['Ada Lovelace'].id}/resume")).status_code == 303
        await ada_walk.days(10)
        assert "second" in [r.step_id for r in ada_walk.received if r.purpose == "initial"]
