"""Level 3 goes to leaders too: each CPD lead answers the school's question once, in one
tap or by reply, and the impact view shows it beside the teachers' ratings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlmodel import select

from activities.smtp import SmtpSender
from cpd.builtin_plans import BUILTIN_PLANS
from cpd.models import LeaderCheck
from cpd.plans import StepKind
from run.inbound import serve
from services import admin
from services.leader_checks import LeaderChecks
from tests.support.events import days_ago, event
from tests.support.inbox import free_port, links_of, send_reply, text_of
from tests.support.signin import sign_in_as_lead
from tests.support.stack import Stack, StackFactory

LEVEL3_NOW = {
    "id": "level3-now",
    "name": "Support check",
    "steps": [
        {
            "id": "leader-support",
            "kind": "leader_check",
            "offset_days": 0,
            "send_time": "00:00",
            "guskey_level": 3,
            "prompt": "Has the school given you the time and resources to keep this going?",
        },
        {"id": "later", "kind": "impact_check", "offset_days": 90, "guskey_level": 4},
    ],
}
TEACHERS = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},
    {"name": "Alan Turing", "email": "alan@hillside.example"},
]
LEADS = ("head@hillside.example", "deputy@hillside.example")


def asks(s: Stack, lead: str) -> list[EmailMessage]:
    return [m for m in s.smtp.inbox.to(lead) if "time and resources" in str(m["Subject"])]


@pytest.fixture
async def level3(dev_stack: StackFactory) -> AsyncIterator[tuple[Stack, str, LeaderChecks, int]]:
    """An event at its level 3 step, both teachers asked; two CPD leads; the reply server."""
    port = free_port()
    async with dev_stack(inbound_smtp_port=port) as s:
        for lead in LEADS:
            await admin.add_leader(s.db, lead, "cpd_lead", school_id=s.school_id)
        await admin.add_leader(s.db, "governor@hillside.example", "leader", school_id=s.school_id)
        body = event(plan=LEVEL3_NOW, people=TEACHERS, event_date=days_ago(0))
        event_id = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()["id"]
        checks = LeaderChecks(s.db, SmtpSender(s.settings), s.settings, s.signer)
        server = await serve(s.settings, s.db, s.client, s.app.state.resources.mailer)
        try:
            yield s, event_id, checks, port
        finally:
            server.close()


async def test_each_cpd_lead_is_asked_once_and_answers_in_one_tap(
    level3: tuple[Stack, str, LeaderChecks, int],
) -> None:
    s, event_id, checks, _ = level3
    now = datetime.now(UTC)
    assert await checks.send_due(now) == 2
    assert await checks.send_due(now) == 0  # asked once, however often the worker looks
    assert await checks.send_due(now + timedelta(days=1)) == 0
    assert asks(s, "governor@") == []  # a leader without the CPD lead's role is not asked
    [mail] = asks(s, "head@")
    words = text_of(mail)
    assert "Have the staff on Retrieval practice had the time and resources to embed it?" in words
    assert "The staff on Retrieval practice at Hillside Academy are being asked" in words
    taps = [x for x in links_of(mail) if "rating=" in x]
    assert [x.split("rating=")[1] for x in taps] == ["1", "2", "3", "4", "5"]
    assert "2 - a little" in words

    # A GET (a mail scanner, or the lead looking) changes nothing.
    page = await s.api.get(taps[1])
    assert page.status_code == 200 and 'value="2" checked' in page.text
    async with s.db() as session:
        assert all(c.rating is None for c in (await session.exec(select(LeaderCheck))).all())
    done = await s.api.post(taps[1].split("?")[0], data={"rating": "2", "text": "No PPA yet"})
    assert "your answer is recorded" in done.text and "2 - a little" in done.text
    again = await s.api.post(taps[4].split("?")[0], data={"rating": "5"})
    assert "We already had your answer" in again.text
    bad = await s.api.post(taps[1].split("?")[0].replace("/level3/", "/level3/x"), data={})
    assert bad.status_code != 200

    # The teachers rate the same question 4 and 5: the leaders' 2 is a gap worth a look.
    for who, rating in (("ada@", "4"), ("alan@", "5")):
        [teacher_mail] = await s.smtp.inbox.wait_for(1, who)
        tap = next(x for x in links_of(teacher_mail) if f"choice={rating}" in x).split("?")[0]
        assert "recorded" in (await s.api.post(tap, data={"choice": rating})).text
    impact = (await s.api.get(f"/v1/events/{event_id}/impact", headers=s.auth())).json()
    [l3] = impact["level3"]
    assert l3 == {
        "step_id": "leader-support",
        "title": "Time and resources",
        "teachers_responses": 2,
        "teachers_mean": 4.5,
        "leaders_responses": 1,
        "leaders_mean": 2.0,
        "gap": -2.5,
        "flagged": True,
    }
    await sign_in_as_lead(s)
    dashboard = (await s.api.get(f"/dashboard/events/{event_id}")).text
    assert "Teachers see more support than leaders do: worth a conversation" in dashboard


async def test_a_cpd_lead_answers_by_reply(level3: tuple[Stack, str, LeaderChecks, int]) -> None:
    s, event_id, checks, port = level3
    await checks.send_due(datetime.now(UTC))
    [head] = asks(s, "head@")
    [deputy] = asks(s, "deputy@")
    reply_to = str(head["Reply-To"])
    assert reply_to.startswith("lead+") and reply_to != str(deputy["Reply-To"])

    unclear = EmailMessage()
    unclear["From"] = "head@hillside.example"
    unclear["Subject"] = "Re: " + str(head["Subject"])
    unclear.set_content("We gave them an INSET afternoon")
    response = await send_reply(port, reply_to, unclear, sender="head@hillside.example")
    assert response.code == 250 and "which answer you meant" in response.message
    [_, clarify] = asks(s, "head@")
    assert "couldn't find a number from 1 to 5" in text_of(clarify)

    clear = EmailMessage()
    clear["From"] = "deputy@hillside.example"
    clear["Subject"] = "Re: " + str(deputy["Subject"])
    clear.set_content("4 - we protected their PPA for it\n\nOn Monday CPD wrote:\n> Have the staff")
    response = await send_reply(
        port, str(deputy["Reply-To"]), clear, sender="deputy@hillside.example"
    )
    assert response.code == 250 and "your answer is recorded" in response.message
    again = await send_reply(port, str(deputy["Reply-To"]), clear, sender="deputy@hillside.example")
    assert "already recorded" in again.message
    impact = (await s.api.get(f"/v1/events/{event_id}/impact", headers=s.auth())).json()
    assert impact["level3"][0]["leaders_mean"] == 4.0
    assert impact["level3"][0]["leaders_responses"] == 1

    # Another school cannot see these answers.
    _, other_key = await s.new_school()
    foreign = await s.api.get(f"/v1/events/{event_id}/impact", headers=s.auth(other_key))
    assert foreign.status_code == 404
    with pytest.raises(aiosmtplib.SMTPRecipientRefused, match="No such reply address"):
        await send_reply(port, "lead+aaaaaaaaaaaaaaaaaaaaaaaa@cpd.test", clear)


async def test_no_question_out_of_hours_or_for_a_cancelled_event_or_long_after(
    level3: tuple[Stack, str, LeaderChecks, int],
) -> None:
    s, event_id, checks, _ = level3
    # Weeks after the step's day, the moment has passed: nobody is asked late.
    assert await checks.send_due(datetime.now(UTC) + timedelta(days=30)) == 0
    cancelled = await s.api.post(f"/v1/events/{event_id}/cancel", headers=s.auth())
    assert cancelled.status_code == 200
    assert await checks.send_due(datetime.now(UTC)) == 0
    assert asks(s, "head@") == []


def test_every_built_in_plan_asks_level_3() -> None:
    for plan in BUILTIN_PLANS.values():
        kinds = [s.kind for s in plan.steps]
        assert StepKind.LEADER_CHECK in kinds, plan.id
