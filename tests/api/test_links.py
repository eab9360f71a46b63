"""A teacher's links keep working as long as they should, and stop when they should."""

from __future__ import annotations

import time
from datetime import timedelta
from email.message import EmailMessage
from unittest import mock

import itsdangerous.timed
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from cpd.models import Participant
from tests.support.events import days_ago, event
from tests.support.inbox import links_of
from tests.support.stack import StackFactory
from tests.support.year import school_year_now, trigger

SIX_MONTHS = timedelta(days=183)


def link(mail: EmailMessage, part: str) -> str:
    return next(x for x in links_of(mail) if part in x)


async def test_unsubscribe_and_answer_links_still_work_six_months_on(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env)
    async with ts_stack(year.calendar) as s:
        created = await trigger(s, "whole-school-inset", monday)
        await time_env.sleep(timedelta(days=lead + 1))
        [first, *_] = s.smtp.inbox.to("ada@")
        answer, unsubscribe = link(first, "/a/"), link(first, "/u/")
        await time_env.sleep(SIX_MONTHS)
        later = time.time() + SIX_MONTHS.total_seconds()
        with mock.patch.object(itsdangerous.timed.time, "time", return_value=later):
            page = await s.api.get(answer)
            assert page.status_code == 200 and "Your action plan" in page.text
            stopped = await s.api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
            assert stopped.status_code == 200 and "no more emails" in stopped.text
            await time_env.sleep(timedelta(minutes=5))
            again = await s.api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        # Already stopped: a clear page, not an error about the link.
        assert again.status_code == 409 and "no more emails about it" in again.text
        status = await s.api.get(f"/v1/events/{created['id']}", headers=s.auth())
        assert status.json()["stages"] == {"withdrawn": 1}


async def test_a_corrected_address_revokes_every_earlier_link(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        body = event(event_date=days_ago(1))
        body["participants"] = [{"name": "Ada Lovelace", "email": "ada@typo.example"}]
        await s.api.post("/v1/events", json=body, headers=s.auth())
        [old] = await s.smtp.inbox.wait_for(1, "ada@typo")
        async with s.db() as session:
            [person] = (await session.exec(select(Participant))).all()
        url = f"/v1/events/{person.event_id}/participants/{person.id}"
        changed = await s.api.put(
            url + "/email", json={"email": "ada@hillside.example"}, headers=s.auth()
        )
        assert changed.status_code == 200
        for part in ("/a/", "/u/", "/p/"):
            page = await s.api.get(link(old, part))
            assert page.status_code == 410, part
            assert "replaced by a newer one" in page.text and 'href="/p"' in page.text
        unsubscribed = await s.api.post(link(old, "/u/"), data={"List-Unsubscribe": "One-Click"})
        assert unsubscribed.status_code == 410
        detail = await s.api.get(url, headers=s.auth())
        assert detail.json()["timeline"]["withdrawn"] is False


async def test_a_teacher_asks_for_a_fresh_portfolio_link(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await s.api.post("/v1/events", json=event(event_date=days_ago(1)), headers=s.auth())
        [first] = await s.smtp.inbox.wait_for(1, "ada@")
        form = await s.api.get("/p")
        assert "Your email address" in form.text
        known = await s.api.post("/p", data={"email": "Ada@Hillside.example"})
        unknown = await s.api.post("/p", data={"email": "nobody@hillside.example"})
        assert known.text == unknown.text and "on its way" in known.text
        [_, fresh] = await s.smtp.inbox.wait_for(2, "ada@")
        assert "Your CPD portfolio" in str(fresh["Subject"])
        page = await s.api.get(link(fresh, "/p/"))
        assert page.status_code == 200 and "Your plans and evidence" in page.text
        assert "Waiting for your answer" in page.text
        assert (await s.api.get(link(first, "/p/"))).status_code == 410
        # Asking again at once sends nothing more: the form cannot flood an inbox.
        await s.api.post("/p", data={"email": "ada@hillside.example"})
        assert len(s.smtp.inbox.to("ada@")) == 2
