"""A teacher answers from an email in a real browser, with one tap."""

from __future__ import annotations

from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import days_ago, event
from tests.support.inbox import free_port, links_of
from tests.support.stack import StackFactory

CHECKIN_PLAN = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"}
    ],
}


async def test_one_tap_from_the_email_then_the_leader_sees_it(dev_stack: StackFactory) -> None:
    port = free_port()
    async with dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s, served(s.app, port):
        created = await s.api.post(
            "/v1/events", json=event(plan=CHECKIN_PLAN, event_date=days_ago(0)), headers=s.auth()
        )
        [mail] = await s.smtp.inbox.wait_for(1)
        tap = next(link for link in links_of(mail) if "choice=tried_twice" in link)

        async with browser() as chromium:
            page = await chromium.new_page(viewport={"width": 390, "height": 844})  # a phone
            refused = refusals(page)
            await page.goto(tap)
            confirm = page.get_by_role("button", name="Confirm: Tried it twice or more")
            box = await confirm.bounding_box()
            assert box is not None and box["height"] >= 44  # a comfortable tap target
            await confirm.click()
            await page.get_by_role("heading", name="Thank you: your answer is recorded").wait_for()
            await page.screenshot(path=artifact("answer-recorded.png"), full_page=True)
            # The page's own style applies under its policy (the tap target's height above).
            assert refused == []

        status = await s.api.get(
            f"/v1/events/{created.json()['id']}/participants", headers=s.auth()
        )
        [ada] = status.json()["items"]
        assert [(a["step_id"], a["choice"]) for a in ada["answers"]] == [("checkin", "tried_twice")]
