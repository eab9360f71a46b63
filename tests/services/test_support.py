"""When a teacher asks for help, their CPD lead hears, once a school day, and can mark it."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from sqlmodel import select

from cpd.models import Participant
from services import admin
from tests.support.events import days_ago, event
from tests.support.inbox import links_of, text_of
from tests.support.stack import Stack, StackFactory

CHECKIN = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"},
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}
PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},
    {"name": "Alan Turing", "email": "alan@hillside.example"},
]


def help_emails(s: Stack) -> list[EmailMessage]:
    # The lead's other email (the weekly summary) may come too.
    return [m for m in s.smtp.inbox.to("lead@") if "asked for support" in str(m["Subject"])]


async def asked(s: Stack, timeout: float = 30) -> EmailMessage:
    for _ in range(int(timeout / 0.1)):
        if found := help_emails(s):
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError("the CPD lead was not told")


async def test_a_request_for_help_reaches_the_cpd_lead_who_marks_it_supported(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack(help_notify_seconds=0.3) as s:
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=s.school_id)
        body = event(plan=CHECKIN, people=PEOPLE, event_date=days_ago(0))
        event_id = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()["id"]

        [mail] = await s.smtp.inbox.wait_for(1, "ada@")
        tap = next(x for x in links_of(mail) if "choice=need_help" in x).split("?")[0]
        data = {"choice": "need_help", "text": "Not sure how to start it with 9X2"}
        assert "recorded" in (await s.api.post(tap, data=data)).text

        told = await asked(s)
        assert "1 colleague has asked for support" in str(told["Subject"])
        words = text_of(told)
        assert "Ada Lovelace" in words and "Not sure how to start it with 9X2" in words

        # Alan asks too, the same day: the lead hears about it tomorrow, not twice today.
        [mail] = await s.smtp.inbox.wait_for(1, "alan@")
        tap = next(x for x in links_of(mail) if "choice=need_help" in x).split("?")[0]
        await s.api.post(tap, data={"choice": "need_help"})
        await asyncio.sleep(1.5)
        assert len(help_emails(s)) == 1

        async with s.db() as session:
            ada = (
                await session.exec(select(Participant).where(Participant.name == "Ada Lovelace"))
            ).one()
        url = f"/v1/events/{event_id}/participants/{ada.id}/support"
        in_hand = await s.api.post(url, json={"status": "in_hand"}, headers=s.auth())
        assert in_hand.status_code == 200
        done = await s.api.post(url, json={"status": "supported"}, headers=s.auth())
        assert done.status_code == 200 and done.json()["participant"]["needs_help"] is False
        status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
        assert "Ada Lovelace" not in [
            p["name"] for p in status["attention"]["needs_help"]["people"]
        ]
        wrong = await s.api.post(url, json={"status": "forgotten"}, headers=s.auth())
        assert wrong.status_code == 422

        # The same from the dashboard, as the CPD lead.
        async with s.db() as session:
            alan = (
                await session.exec(select(Participant).where(Participant.name == "Alan Turing"))
            ).one()
        await s.api.post("/dashboard/key", data={"api_key": s.key})
        marked = await s.api.post(
            f"/dashboard/events/{event_id}/support/{alan.id}", data={"status": "supported"}
        )
        assert marked.status_code == 303
        async with s.db() as session:
            assert (await session.get(Participant, alan.id)).needs_help is False  # type: ignore[union-attr]
