"""When a teacher asks for help, their CPD lead hears, once a school day, and can mark it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from activities.smtp import SmtpSender
from cpd.calendar import SchoolCalendar
from cpd.models import HelpRequest, Participant
from services import admin
from services.support import HelpNotifier
from tests.support.calendars import LONDON
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import links_of, text_of
from tests.support.signin import post_form, sign_in_as_lead
from tests.support.stack import Stack, StackFactory

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
        body = event(plan=CHECKIN_THEN_IMPACT, people=PEOPLE, event_date=days_ago(0))
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
        await sign_in_as_lead(s)
        marked = await post_form(
            s, f"/dashboard/events/{event_id}/support/{alan.id}", {"status": "supported"}
        )
        assert marked.status_code == 303
        async with s.db() as session:
            assert (await session.get(Participant, alan.id)).needs_help is False  # type: ignore[union-attr]


async def test_the_next_email_asks_whether_the_support_helped(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    async with ts_stack(SchoolCalendar.always_open()) as s:
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=s.school_id)
        today = (await time_env.get_current_time()).astimezone(LONDON).date()
        body = event(plan=CHECKIN_THEN_IMPACT, people=PEOPLE, event_date=today.isoformat())
        event_id = (await s.api.post("/v1/events", json=body, headers=s.auth())).json()["id"]
        people = {}
        for who in ("ada@", "alan@"):
            [mail] = await s.smtp.inbox.wait_for(1, who)
            tap = next(x for x in links_of(mail) if "choice=need_help" in x).split("?")[0]
            assert "recorded" in (await s.api.post(tap, data={"choice": "need_help"})).text
            [_, support_mail] = await s.smtp.inbox.wait_for(2, who)
            # The promise in the support email is what happens: the lead is emailed.
            assert "Your CPD lead is emailed about it in school hours" in text_of(support_mail)
            async with s.db() as session:
                found = select(Participant).where(col(Participant.email).startswith(who))
                people[who] = (await session.exec(found)).one()
            url = f"/v1/events/{event_id}/participants/{people[who].id}/support"
            done = await s.api.post(url, json={"status": "supported"}, headers=s.auth())
            assert done.json()["participant"]["needs_help"] is False

        await time_env.sleep(timedelta(days=61))  # the next step, two months on
        asks = {}
        for who in ("ada@", "alan@"):
            mail = (await s.smtp.inbox.wait_for(3, who))[2]
            words = text_of(mail)
            assert "marked the support you asked for as given. Did it help?" in words
            asks[who] = [x for x in links_of(mail) if "/s/" in x]
            assert [x.split("helped=")[1] for x in asks[who]] == ["yes", "no"]

        # Alan: it helped. The page a mail scanner fetches changes nothing.
        yes = asks["alan@"][0]
        assert "Did the support help?" in (await s.api.get(yes)).text
        thanks = await s.api.post(yes.split("?")[0], data={"helped": "yes"})
        assert "Your CPD lead can see that it helped" in thanks.text
        # Ada: not yet. Her flag is back and her request opens again, for the lead.
        no = asks["ada@"][1].split("?")[0]
        again = await s.api.post(no, data={"helped": "no"})
        assert "will be emailed again" in again.text
        twice = await s.api.post(no, data={"helped": "yes"})
        assert "We already had your answer" in twice.text
        status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
        assert [p["name"] for p in status["attention"]["needs_help"]["people"]] == ["Ada Lovelace"]
        async with s.db() as session:
            rows = (await session.exec(select(HelpRequest))).all()
        requests = {r.participant_id: r for r in rows}
        assert requests[people["ada@"].id].status == "open"
        assert requests[people["ada@"].id].helped is False
        assert requests[people["alan@"].id].helped is True

        await sign_in_as_lead(s, email="lead@hillside.example")
        page = (await s.api.get(f"/dashboard/events/{event_id}")).text
        assert "1 supported, of whom 1 said it helped" in page
        assert "1 asking again after support" in page

        # The lead hears again, once, saying so.
        notifier = HelpNotifier(s.db, SmtpSender(s.settings), s.settings)
        assert await notifier.tell_leads(await time_env.get_current_time()) == 1
        [told] = [m for m in help_emails(s) if "Ada Lovelace" in text_of(m)][-1:]
        assert "Asking again: the support marked as given has not helped yet." in text_of(told)
        assert "Alan Turing" not in text_of(told)

        # Links that are not this teacher's own do nothing.
        token = no.split("/s/")[1]
        tampered = await s.api.post(f"/s/{token[:-2]}xx", data={"helped": "yes"})
        assert tampered.status_code in (400, 403, 404) and "not valid" in tampered.text
        answer_token = asks["alan@"][0].split("/s/")[1].split("?")[0]
        wrong_kind = await s.api.get(f"/a/{answer_token}")
        assert wrong_kind.status_code != 200
