"""Template code, markup and header breaks in everything a school or its API can name: the
school, the sender, the sign-off, copy overrides, a teacher, an event, a plan's steps. The
emails (headers, text, HTML) and the pages show them as text: nothing evaluated, no markup,
no new header line, nobody else mailed."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
from sqlmodel import select

from cpd.calendar import SchoolCalendar
from cpd.models import API_KEY_SCOPES, Participant
from emails.message import build_message
from emails.render import RenderedEmail
from services import admin
from tests.support.events import days_ago
from tests.support.inbox import html_of, links_of, text_of
from tests.support.signin import sign_in
from tests.support.stack import Stack, StackFactory, unique

# Jinja's expression and block syntax, a script, an attribute break-out: short enough for
# a sender name (80 characters).
HOSTILE = '{{ 7*7 }}{% raw %}<script>alert(1)</script>"><img src=x onerror=alert(1)>'
BREAK = "\r\nBcc: victim@evil.example\r\nX-Injected: yes"
HEADERS = {
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    # Added by the test SMTP server on arrival.
    "X-Peer",
    "X-MailFrom",
    "X-RcptTo",
}
PLAN = {
    "name": "Plan " + HOSTILE,
    "steps": [
        {
            "id": "action-plan",
            "kind": "action_plan",
            "title": "Step" + HOSTILE,
            "offset_days": 0,
            "send_time": "00:00",
            "prompt": "Prompt " + HOSTILE,
        },
        {"id": "impact", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}


def shown_as_text(html: str, where: str) -> None:
    lowered = html.lower()
    assert "<script>alert" not in lowered and "<img src=x" not in lowered, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, where
    assert "{{ 7*7 }}" in html and "{% raw %}" in html, where


def headers_hold(mail: EmailMessage) -> None:
    assert set(mail.keys()) <= HEADERS, set(mail.keys()) - HEADERS
    for name, value in mail.items():
        assert "\n" not in str(value).replace("\n ", "").replace("\n\t", ""), name
    assert mail["Bcc"] is None and mail["X-Injected"] is None


async def hostile_school(s: Stack) -> tuple[str, str]:
    school_id = unique("school")
    # Open all hours like the stack's own school: the email must go whenever the test runs.
    name = "Academy " + HOSTILE + BREAK
    await admin.create_school(s.db, school_id, name, SchoolCalendar.always_open())
    key = await admin.create_key(s.db, school_id, "test", API_KEY_SCOPES)
    return school_id, key


async def test_hostile_names_and_copy_are_text_in_emails_and_pages(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        branding = {
            "sender_name": "CPD" + BREAK,
            "sign_off": "Thanks " + HOSTILE,
            "signature": "Ms " + HOSTILE,
            "copy_overrides": {
                "action_plan": {"headline": "Head " + BREAK, "intro": "Intro " + HOSTILE}
            },
        }
        put = await s.api.put("/v1/school/branding", json=branding, headers=s.auth())
        assert put.status_code == 200, put.text
        plan = await s.api.post("/v1/plans", json=PLAN, headers=s.auth())
        assert plan.status_code == 201, plan.text
        body = {
            "reference": "r",
            "title": "Event " + HOSTILE + BREAK,
            "event_date": days_ago(1),
            "plan_id": plan.json()["id"],
            "participants": [{"name": "Ada " + HOSTILE + BREAK, "email": "ada@hillside.example"}],
        }
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        [mail] = await s.smtp.inbox.wait_for(1, "ada@")

        headers_hold(mail)
        assert str(mail["From"]).startswith('"CPD Bcc: victim@evil.example X-Injected: yes"')
        assert "\n" not in str(mail["Subject"]).replace("\n ", "")
        text = text_of(mail)
        assert "Intro " + HOSTILE in text and "Thanks " + HOSTILE in text
        assert "Prompt " + HOSTILE in text
        shown_as_text(html_of(mail), "email")
        assert "Intro {{ 7*7 }}" in html_of(mail) and "Thanks {{ 7*7 }}" in html_of(mail)
        assert s.smtp.inbox.to("victim@") == []

        # The teacher's pages, and the CPD lead's.
        answer = next(x for x in links_of(mail) if "/a/" in x)
        portfolio = next(x for x in links_of(mail) if "/p/" in x)
        for link in (answer, portfolio):
            page = await s.api.get(link)
            assert page.status_code == 200
            shown_as_text(page.text, link)
        async with s.db() as db:
            [ada] = (await db.exec(select(Participant))).all()
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", s.school_id)
        transport = httpx.ASGITransport(app=s.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as lead:
            await sign_in(s, "lead@hillside.example", lead)
            event = f"/dashboard/events/{ada.event_id}"
            for path in (
                "/dashboard",
                event,
                event + "/people",
                f"{event}/people/{ada.id}",
                f"/dashboard/plans/{plan.json()['id']}",
                "/dashboard/plans",
            ):
                page = await lead.get(path)
                assert page.status_code == 200, path
                assert "<script>alert" not in page.text and "<img src=x" not in page.text
                assert "{{ 7*7 }}" in page.text, path
            branding_page = await lead.get("/dashboard/settings/branding")
            shown_as_text(branding_page.text, "branding")
            export = await lead.get(event + "/export.csv")
            assert "49" not in export.text.replace(ada.id, "")


async def test_a_hostile_school_name_is_text_in_its_emails_and_pages(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        school_id, key = await hostile_school(s)
        body = {
            "reference": "r",
            "title": "Retrieval practice",
            "event_date": days_ago(1),
            "participants": [{"name": "Ada", "email": "ada@hillside.example"}],
        }
        created = await s.api.post("/v1/events", json=body, headers=s.auth(key))
        assert created.status_code == 201, created.text
        [mail] = await s.smtp.inbox.wait_for(1, "ada@")
        headers_hold(mail)
        assert "Academy " + HOSTILE in text_of(mail)
        shown_as_text(html_of(mail), "email")
        page = await s.api.get(next(x for x in links_of(mail) if "/a/" in x))
        assert page.status_code == 200  # the page does not name the school: nothing to run
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id)
        await sign_in(s, "lead@hillside.example")
        shown_as_text((await s.api.get("/dashboard")).text, "dashboard")


def test_a_long_name_with_commas_is_still_one_recipient() -> None:
    # Python folds a long quoted display name without its quotes: unguarded, this To
    # header read back as three addresses, and the hostile one as the address "script".
    for name in (
        "Mary O'Brien-Smith, Head of Mathematics and Science (Key Stage 3 and 4), Hillside",
        "Ada " + HOSTILE + BREAK,
    ):
        mail = build_message(
            RenderedEmail("Subject", "Text", "<p>HTML</p>"),
            mail_from="CPD <cpd@school.example>",
            to="ada@hillside.example",
            to_name=name,
        )
        back = message_from_bytes(mail.as_bytes(), policy=policy.default)
        [one] = back["To"].addresses
        assert one.addr_spec == "ada@hillside.example"
        assert one.display_name.startswith(("Mary O'Brien-Smith Head", "Ada {{ 7*7 }}"))
    short = build_message(
        RenderedEmail("Subject", "Text", "<p>HTML</p>"),
        mail_from="CPD <cpd@school.example>",
        to="ada@hillside.example",
        to_name="O'Brien, Mary",
    )
    assert str(short["To"]) == '"O\'Brien, Mary" <ada@hillside.example>'
