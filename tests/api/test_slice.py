"""The vertical slice on the Temporal dev server: trigger, email, answer, status."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlmodel import func, select
from temporalio.client import Client

from cpd.models import Event, Participant
from tests.support.events import days_ago
from tests.support.inbox import html_of, links_of, text_of
from tests.support.stack import StackFactory

PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},
    {"name": "Grace Hopper", "email": "grace@hillside.example"},
]


def event_body(
    reference: str = "inset-2026-11", people: list[dict[str, str]] = PEOPLE
) -> dict[str, Any]:
    return {
        "reference": reference,
        "title": "Retrieval practice",
        "event_date": days_ago(12),
        "participants": people,
    }


async def listed(client: Client, query: str, expect: int, timeout: float = 20) -> list[str]:
    """Workflow ids matching a visibility query; visibility is eventually consistent."""
    deadline = time.monotonic() + timeout
    while True:
        ids = [w.id async for w in client.list_workflows(query)]
        if len(ids) >= expect or time.monotonic() > deadline:
            return ids
        await asyncio.sleep(0.2)


async def test_trigger_email_answer_status(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        created = await s.api.post("/v1/events", json=event_body(), headers=s.auth())
        assert created.status_code == 201, created.text
        event = created.json()
        assert event["participant_count"] == 2

        [mail] = await s.smtp.inbox.wait_for(1, "ada@hillside.example")
        assert mail.get_content_type() == "multipart/alternative"
        assert mail["Subject"] == "Your action plan (Retrieval practice)"
        assert "Dear Ada Lovelace" in text_of(mail)
        assert "<p>Dear Ada Lovelace,</p>" in html_of(mail)
        answer_link = links_of(mail)[0]
        assert answer_link.startswith("http://testserver/a/")

        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        ada = next(p for p in status["items"] if p["name"] == "Ada Lovelace")
        detail_url = f"/v1/events/{event['id']}/participants/{ada['id']}"

        # A mail scanner fetching the link changes nothing.
        page = await s.api.get(answer_link)
        assert page.status_code == 200
        assert "Write one concrete change" in page.text
        assert '<form method="post"' in page.text
        assert 'name="class_name"' in page.text
        before = (await s.api.get(detail_url, headers=s.auth())).json()
        assert before["participant"]["answers"] == []
        assert before["timeline"]["steps"][0]["status"] == "sent"

        plan = "Retrieval starter with Year 9 set 2, every lesson, for six weeks"
        parts = {
            "context": "Retrieval starter",
            "class_name": "Year 9 set 2",
            "frequency": "every lesson",
            "duration": "six weeks",
        }
        done = await s.api.post(answer_link, data=parts)
        assert done.status_code == 200
        assert "your answer is recorded" in done.text

        after = (await s.api.get(detail_url, headers=s.auth())).json()
        [answer] = after["participant"]["answers"]
        assert answer["step_id"] == "action-plan"
        assert answer["text"] == plan
        assert after["timeline"]["steps"][0]["status"] == "answered"
        # Triggered 12 days after the event: the week-1 cue is past and never sent.
        assert after["timeline"]["steps"][1]["status"] == "before_joined"
        assert after["timeline"]["next_step_id"] == "checkin-week-2"

        status = (
            await s.api.get(f"/v1/events/{event['id']}/participants", headers=s.auth())
        ).json()
        ada = next(p for p in status["items"] if p["name"] == "Ada Lovelace")
        assert [a["text"] for a in ada["answers"]] == [plan]


async def test_workflows_are_listed_by_search_attribute(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        school_b, other_key = await s.new_school()
        mine = (await s.api.post("/v1/events", json=event_body("mine"), headers=s.auth())).json()
        theirs = (
            await s.api.post(
                "/v1/events",
                json=event_body("theirs", [{"name": "Alan Turing", "email": "alan@b.example"}]),
                headers=s.auth(other_key),
            )
        ).json()

        ids = await listed(s.client, f'CpdEventId = "{mine["id"]}"', expect=2)
        assert len(ids) == 2
        assert all(i.startswith(f"cpd-{mine['id']}-") for i in ids)

        ids_b = await listed(s.client, f'CpdSchoolId = "{school_b}"', expect=1)
        assert ids_b == await listed(s.client, f'CpdEventId = "{theirs["id"]}"', expect=1)
        # Search attributes hold ids only, never a teacher's name or email.
        async for wf in s.client.list_workflows(f'CpdEventId = "{mine["id"]}"'):
            values = [str(v) for v in wf.typed_search_attributes]
            assert not any("@" in v or "Ada" in v for v in values)


async def test_posting_the_same_event_twice_starts_nothing_new(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        first = await s.api.post("/v1/events", json=event_body(), headers=s.auth())
        second = await s.api.post("/v1/events", json=event_body(), headers=s.auth())
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["id"] == first.json()["id"]
        assert second.json()["created"] is False

        await s.smtp.inbox.wait_for(2)
        ids = await listed(s.client, f'CpdEventId = "{first.json()["id"]}"', expect=3, timeout=3)
        assert len(ids) == 2
        await asyncio.sleep(1)  # give a wrongly started second set time to send
        assert len(s.smtp.inbox.messages) == 2
        async with s.db() as session:
            assert (await session.exec(select(func.count()).select_from(Participant))).one() == 2


async def test_api_key_is_required(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        missing = await s.api.post("/v1/events", json=event_body())
        assert missing.status_code == 401
        assert "Missing API key" in missing.json()["detail"]
        wrong = await s.api.post(
            "/v1/events", json=event_body(), headers=s.auth("cpd_abc_notarealsecret")
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "unauthorized"
        garbled = await s.api.get("/v1/events/x", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        assert garbled.status_code == 401


async def test_an_address_listed_twice_is_one_participant_and_the_answer_says_so(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        ada = {"name": "Ada Lovelace", "email": "ada@hillside.example"}
        again = {"name": "Ada L.", "email": "ADA@hillside.example"}
        created = await s.api.post(
            "/v1/events", json=event_body(people=[ada, again]), headers=s.auth()
        )
        assert created.status_code == 201, created.text
        assert created.json()["participant_count"] == 1
        assert (
            "Listed more than once, so followed through once: ADA@hillside.example."
            in created.json()["warnings"]
        )
        people = f"/v1/events/{created.json()['id']}/participants"
        [only] = (await s.api.get(people, headers=s.auth())).json()["items"]
        assert (only["name"], only["email"]) == ("Ada Lovelace", "ada@hillside.example")

        grace = {"name": "Grace Hopper", "email": "grace@hillside.example"}
        added = await s.api.post(
            people, json={"participants": [grace, grace, ada]}, headers=s.auth()
        )
        assert added.status_code == 201, added.text
        assert [p["email"] for p in added.json()["added"]] == ["grace@hillside.example"]
        assert added.json()["listed_again"] == ["grace@hillside.example"]
        assert added.json()["already_in_event"] == ["ada@hillside.example"]


async def test_malformed_event_names_the_field_and_starts_nothing(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        body = event_body()
        body["participants"] = [{"name": "Ada", "email": "not-an-email"}]
        body["event_date"] = "2026-13-40"
        bad = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert bad.status_code == 422
        fields = {f["field"] for f in bad.json()["fields"]}
        assert fields == {"event_date", "participants.0.email"}

        # Dates a school could not have meant: a typo in the year, or a plan long past.
        for when in ("0224-11-20", days_ago(91), days_ago(-401)):
            body = {**event_body(), "event_date": when}
            typo = await s.api.post("/v1/events", json=body, headers=s.auth())
            assert typo.status_code == 422, when
            assert [f["field"] for f in typo.json()["fields"]] == ["event_date"]
            assert "check the year" in typo.json()["detail"]

        broken = await s.api.post(
            "/v1/events",
            content=b'{"reference": ',
            headers={**s.auth(), "Content-Type": "application/json"},
        )
        assert broken.status_code == 422
        assert broken.json()["error"] == "invalid_request"

        async with s.db() as session:
            assert (await session.exec(select(func.count()).select_from(Event))).one() == 0
        assert await listed(s.client, f'CpdSchoolId = "{s.school_id}"', expect=1, timeout=1) == []
        assert s.smtp.inbox.messages == []
