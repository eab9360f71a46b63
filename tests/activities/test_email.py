"""What arrives in a teacher's inbox, and what its links do (dev server, real SMTP)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from unittest import mock

import itsdangerous.timed
from sqlmodel import select

from activities.email import message_id_for
from cpd.models import EmailSend, Participant
from tests.support.events import TEACHER, days_ago, event
from tests.support.inbox import html_of, links_of, text_of
from tests.support.stack import Stack, StackFactory


async def first_email(s: Stack, body: dict[str, Any] | None = None) -> Any:
    created = await s.api.post("/v1/events", json=body or event(), headers=s.auth())
    assert created.status_code == 201, created.text
    [mail] = await s.smtp.inbox.wait_for(1)
    return mail


async def test_the_email_is_multipart_well_formed_and_every_link_works(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        mail = await first_email(s)
        assert mail.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
        assert re.fullmatch(r"reply\+[a-z2-7]{24}@cpd\.test", str(mail["Reply-To"]))
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(mail["List-Unsubscribe"]).startswith("<http://testserver/u/")
        assert mail["Auto-Submitted"] == "auto-generated"
        async with s.db() as session:
            [row] = (await session.exec(select(EmailSend))).all()
        assert mail["Message-ID"] == message_id_for(row.send_key, "cpd.test") == row.message_id
        html = html_of(mail)
        # No tracking: no images at all without a school logo, no pixel, no remote CSS.
        assert "<img" not in html and "<link" not in html
        assert '<html lang="en">' in html and "<h1" in html

        links = set(links_of(mail)) | set(re.findall(r'href="([^"]+)"', html))
        assert {link.split("/")[3] for link in links} == {"a", "u", "p"}
        for link in links:
            page = await s.api.get(link.replace("&amp;", "&"))
            assert page.status_code == 200, (link, page.text)
            assert "<h1>" in page.text


async def test_a_retried_send_keeps_its_message_id_and_arrives_once(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        s.smtp.inbox.data_replies = ["451 4.3.0 Mailbox busy, try again"]
        mail = await first_email(s)
        assert s.smtp.inbox.refused_ids == [mail["Message-ID"]]
        assert len(s.smtp.inbox.messages) == 1


async def test_an_attempt_that_outlives_its_timeout_does_not_send_a_second_copy(
    dev_stack: StackFactory,
) -> None:
    # The server stalls its first "354" past the send's 2 s timeout: Temporal starts a
    # second attempt while the first, cancelled inside DATA, finishes it. One copy.
    async with dev_stack(send_timeout_seconds=2) as s:
        s.smtp.inbox.data_delays = [6.0]
        mail = await first_email(s)
        await asyncio.sleep(8)  # the stalled attempt finishes meanwhile
        assert len(s.smtp.inbox.rcpt_calls) == 2  # both attempts reached DATA
        assert [m["Message-ID"] for m in s.smtp.inbox.messages] == [mail["Message-ID"]]
        async with s.db() as session:
            [row] = (await session.exec(select(EmailSend))).all()
        assert row.status == "sent"


async def test_a_permanent_refusal_is_recorded_as_bounced_and_not_retried(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        s.smtp.inbox.refuse["gone@hillside.example"] = "550 5.1.1 No such user"
        people = [{"name": "Gone", "email": "gone@hillside.example"}, TEACHER]
        created = await s.api.post("/v1/events", json=event(people=people), headers=s.auth())
        await s.smtp.inbox.wait_for(1, "ada@")
        deadline = time.monotonic() + 20
        while True:
            status = (
                await s.api.get(f"/v1/events/{created.json()['id']}/participants", headers=s.auth())
            ).json()
            bounced = {p["email"]: p["email_bounced"] for p in status["items"]}
            if bounced["gone@hillside.example"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert bounced == {"gone@hillside.example": True, "ada@hillside.example": False}
        assert s.smtp.inbox.rcpt_calls.count("gone@hillside.example") == 1


async def test_a_name_cannot_inject_headers(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        sly = {"name": "Ada\r\nBcc: everyone@evil.example\r\n", "email": "ada@hillside.example"}
        mail = await first_email(s, event(people=[sly]))
        assert mail["Bcc"] is None
        assert s.smtp.inbox.envelopes == [["ada@hillside.example"]]
        assert "Ada Bcc: everyone@evil.example" in str(mail["To"])


async def test_one_tap_lands_on_a_prefilled_confirm_page_and_a_double_submit_is_harmless(
    dev_stack: StackFactory,
) -> None:
    plan = {
        "id": "checkin-now",
        "name": "A check-in",
        "steps": [
            {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"}
        ],
    }
    async with dev_stack() as s:
        mail = await first_email(s, event(plan=plan, event_date=days_ago(0)))
        tap = next(link for link in links_of(mail) if "choice=tried_twice" in link)
        page = await s.api.get(tap)
        assert "Confirm: Tried it twice or more" in page.text
        assert 'value="tried_twice" class="primary"' in page.text
        base = tap.split("?")[0]
        first = await s.api.post(base, data={"choice": "tried_twice"})
        again = await s.api.post(base, data={"choice": "not_yet"})
        assert "your answer is recorded" in first.text
        assert "You said: <strong>Tried it twice or more</strong>" in first.text
        # The page names the answer that stands, not the one the second tap sent.
        assert "We already had your answer" in again.text
        assert "You said: <strong>Tried it twice or more</strong>" in again.text
        assert "Not yet" not in again.text
        async with s.db() as session:
            [person] = (await session.exec(select(Participant))).all()
        detail = await s.api.get(
            f"/v1/events/{person.event_id}/participants/{person.id}", headers=s.auth()
        )
        [answer] = detail.json()["participant"]["answers"]
        assert answer["choice"] == "tried_twice"
        assert detail.json()["participant"]["needs_help"] is False


async def test_bad_links_get_a_clear_page_and_change_nothing(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        mail = await first_email(s)
        link = next(link for link in links_of(mail) if "/a/" in link)
        token = link.split("/a/")[1]
        tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        page = await s.api.post(tampered, data={"text": "x"})
        assert page.status_code == 400 and "not valid" in page.text

        pause_link = next(link for link in links_of(mail) if "/u/" in link)
        wrong_purpose = await s.api.post(
            "http://testserver/a/" + pause_link.split("/u/")[1], data={"text": "x"}
        )
        assert wrong_purpose.status_code == 400 and "for something else" in wrong_purpose.text

        # A link for a step that has not been asked yet (a forged step id, validly signed
        # only because the test knows the key) is refused by the workflow.
        claims = s.signer.verify(token, "answer")
        later = s.signer.sign(claims.participant_id, "impact-12-months", "answer")
        not_yet = await s.api.post(f"http://testserver/a/{later}", data={"choice": "4"})
        assert not_yet.status_code == 409 and "not been asked yet" in not_yet.text

        # Signed long ago is not too old: an answer link lasts while the question does.
        a_year_ago = time.time() - 365 * 86400
        with mock.patch.object(itsdangerous.timed.time, "time", return_value=a_year_ago):
            old = s.signer.sign(claims.participant_id, claims.step_id, "answer")
        assert (await s.api.get(f"http://testserver/a/{old}")).status_code == 200

        async with s.db() as session:
            [person] = (await session.exec(select(Participant))).all()
        detail = await s.api.get(
            f"/v1/events/{person.event_id}/participants/{person.id}", headers=s.auth()
        )
        assert detail.json()["participant"]["answers"] == []
        assert detail.json()["timeline"]["steps"][0]["status"] == "sent"


async def test_school_branding_and_copy_are_validated_and_used(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        bad = await s.api.put(
            "/v1/school/branding",
            json={"logo_url": "http://insecure.example/logo.png", "copy_overrides": {"gossip": {}}},
            headers=s.auth(),
        )
        assert bad.status_code == 422
        fields = {f["field"] for f in bad.json()["fields"]}
        assert {"logo_url", "copy_overrides.gossip.[key]"} <= fields
        branding = {
            "sender_name": "Hillside CPD\r\nBcc: x@evil.example",
            "sign_off": "Warmly,",
            "signature": "Ms Patel, CPD lead",
            "logo_url": "https://hillside.example/logo.png",
            "copy_overrides": {
                "action_plan": {"headline": "Your next step", "intro": "<b>One</b> thing."}
            },
        }
        ok = await s.api.put("/v1/school/branding", json=branding, headers=s.auth())
        assert ok.status_code == 200
        mail = await first_email(s)
        assert str(mail["From"]) == '"Hillside CPD Bcc: x@evil.example" <followthrough@localhost>'
        assert mail["Bcc"] is None
        assert str(mail["Subject"]).startswith("Your next step")
        text, html = text_of(mail), html_of(mail)
        assert "Warmly,\nMs Patel, CPD lead" in text
        assert "&lt;b&gt;One&lt;/b&gt; thing." in html  # a school's copy is text, never markup
        assert '<img src="https://hillside.example/logo.png" alt="Hillside Academy"' in html
