"""Each CPD lead gets a short weekly summary, once a week, until they switch it off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services import admin
from services.digest import WeeklyDigest
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import links_of, text_of
from tests.support.stack import StackFactory


async def test_a_weekly_summary_goes_once_a_week_until_switched_off(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=s.school_id)
        body = event(plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        event_id = created.json()["id"]
        [mail] = await s.smtp.inbox.wait_for(1, "ada@")
        tap = next(x for x in links_of(mail) if "choice=need_help" in x).split("?")[0]
        private = "a word for the lead's eyes only if shared"
        await s.api.post(tap, data={"choice": "need_help", "text": private})
        for _ in range(100):  # the workflow projects the flag just after the answer
            status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
            if status["attention"]["needs_help"]["count"]:
                break
            await asyncio.sleep(0.1)

        digest = WeeklyDigest(s.db, s.app.state.resources.mailer, s.settings, s.signer)
        now = datetime.now(UTC)
        assert await digest.send_due(now) == 1
        assert await digest.send_due(now) == 0  # once a week
        [summary] = s.smtp.inbox.to("lead@")
        words = text_of(summary)
        assert "1 answer from teachers" in words and "Asking for support: Ada Lovelace" in words
        assert private not in words  # figures and names, never a teacher's words

        off = next(x for x in links_of(summary) if "/dashboard/digest/" in x)
        assert "Stop the weekly summary" in (await s.api.get(off)).text
        assert "No more weekly summaries" in (await s.api.post(off)).text
        assert await digest.send_due(now + timedelta(days=7)) == 0
