"""Every page, with real data, passes axe-core's WCAG 2.2 AA rules at 320 px and 1280 px.

One dev stack, one browser: events are triggered through the API, their emails arrive at
the SMTP server, teachers answer through their links, a teacher asks for help, the CPD
lead is asked the level 3 question and sent the weekly summary; then the walk visits each
page in ``PAGES`` in order, as the person who would see it, and checks it
(tests/support/a11y.py). Then each kind of email that arrived is checked the same way.

A new page is one line in ``PAGES``: a path (with ``{names}`` from what ``prepare``
made), or a few steps in the browser for a page that comes after a form.
"""

from __future__ import annotations

import asyncio
import mailbox
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page
from sqlmodel import select

from activities.smtp import SmtpSender
from cpd.builtin_plans import DEFAULT_PLAN_ID
from cpd.models import ApiKey, HelpRequest, Participant
from services import admin
from services.digest import WeeklyDigest
from services.leader_checks import LeaderChecks
from tests.support.a11y import accessibility_problems
from tests.support.browser import browser, refusals, served, signed_in
from tests.support.events import days_ago, event
from tests.support.inbox import free_port, html_of, links_of
from tests.support.signin import sign_in_link
from tests.support.stack import Stack, StackFactory

CALENDARS = Path(__file__).parents[1] / "cpd" / "calendars"

# A teacher has one question open at a time in each event, so each event asks one thing
# now (and keeps running with a step months on): the level 3 question (teachers' ratings
# make the impact chart and the leaders' comparison), a check-in (a request for help makes
# the support list), and each other kind of question, for the answer pages.
ASKS: dict[str, dict[str, object]] = {
    "support": {"kind": "leader_check", "guskey_level": 3},
    "checkin": {"kind": "practice_checkin"},
    "impact": {"kind": "impact_check", "guskey_level": 4},
    "action-plan": {"kind": "action_plan"},
    "reflection": {"kind": "reflection"},
    "evidence": {"kind": "evidence"},
}


def asking(step: str) -> dict[str, object]:
    now = {"id": step, "offset_days": 0, "send_time": "00:00", **ASKS[step]}
    later = {"id": "later", "kind": "impact_check", "offset_days": 90, "guskey_level": 5}
    return {"id": f"now-{step}", "name": f"Now: {step}", "steps": [now, later]}


ADA, ALAN, GRACE = "ada@hillside.example", "alan@hillside.example", "grace@hillside.example"
TEACHERS = [
    {"name": "Ada Lovelace", "email": ADA},
    {"name": "Alan Turing", "email": ALAN},
    {"name": "Grace Hopper", "email": GRACE},
]
LEAD, LEADER, TRUST = "lead@hillside.example", "deputy@hillside.example", "ceo@oak.example"
WHO = {"lead": LEAD, "leader": LEADER, "trust": TRUST}

Steps = Callable[[Page, dict[str, str]], Awaitable[None]]


@dataclass(frozen=True)
class Visit:
    name: str  # the screenshots' name: test-artifacts/a11y-<name>-<width>.png
    go: str | Steps  # a path ("{support_event}" etc. from prepare), or steps in the browser
    who: str = "anyone"  # anyone (no sign-in) | lead | leader | trust
    status: int = 200  # what a path answers


async def recorded(page: Page, data: dict[str, str]) -> None:
    await page.goto(data["checkin_tap"])
    await page.get_by_role("button", name="Confirm: Tried it twice or more").click()
    await page.get_by_role("heading", name="Thank you: your answer is recorded").wait_for()


async def paused(page: Page, data: dict[str, str]) -> None:
    await page.goto(data["manage"])
    await page.get_by_role("button", name="Pause for now").click()
    await page.get_by_role("heading", name="Paused").wait_for()


async def fresh_link_sent(page: Page, data: dict[str, str]) -> None:
    await page.goto("/p")
    await page.get_by_label("Your email address").fill(ADA)  # Ada's old links stop working
    await page.get_by_role("button", name="Email me a new link").click()
    await page.get_by_text("a new link is on its way").wait_for()


async def support_answered(page: Page, data: dict[str, str]) -> None:
    await page.goto(data["support_check"])
    await page.get_by_role("button", name="Send my answer").click()
    await page.get_by_role("heading", name="Thank you: your answer is recorded").wait_for()


async def level3_answered(page: Page, data: dict[str, str]) -> None:
    await page.goto(data["level3"])
    await page.get_by_role("button", name="Send my answer").click()
    await page.get_by_role("heading", name="Thank you: your answer is recorded").wait_for()


async def digest_stopped(page: Page, data: dict[str, str]) -> None:
    await page.goto(data["digest"])
    await page.get_by_role("button", name="Stop the weekly summary").click()
    await page.get_by_role("heading", name="No more weekly summaries").wait_for()


async def login_sent(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dashboard/login")
    await page.get_by_label("Your school email").fill("nobody@hillside.example")
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await page.get_by_text("we have emailed it a link").wait_for()


async def no_school_account(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dashboard/login")
    await page.get_by_label("Your school email").fill("nobody@hillside.example")
    await page.get_by_role("button", name="Sign in with my school account").click()
    await page.get_by_role("alert").wait_for()


async def settings_refused(page: Page, data: dict[str, str]) -> None:
    """A form's error is said next to its field, and announced."""
    await page.goto("/dashboard/settings")
    await page.get_by_label("Earliest time").fill("18:00")
    await page.get_by_label("Latest time").fill("08:00")
    # The stack's weekly budget (20, for Grace's six events) is over the form's most.
    await page.get_by_label("Emails a week to one teacher, at most").fill("10")
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.get_by_role("alert").get_by_text("The latest time must be after").wait_for()


async def new_preview(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dashboard/new")
    await page.get_by_label("Title of the CPD").fill("Feedback that moves learning on")
    await page.get_by_label("Date of the CPD").fill(days_ago(0))
    people = "Mary Somerville, mary@hillside.example\nNot an address, nobody@\n"
    await page.get_by_label("Paste names and emails").fill(people)
    await page.get_by_role("button", name="Preview the emails and dates").click()
    await page.get_by_role("heading", level=1).wait_for()


async def calendar_preview(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dashboard/calendar")
    ics = CALENDARS / "hillside-2026-27.ics"
    await page.get_by_label("Your school's calendar file").set_input_files(ics)
    await page.get_by_role("button", name="Preview").click()
    await page.get_by_role("button", name="Save these dates").wait_for()


async def calendar_saved(page: Page, data: dict[str, str]) -> None:
    await calendar_preview(page, data)
    await page.get_by_role("button", name="Save these dates").click()
    await page.get_by_text("Saved. Waiting emails move").wait_for()


async def calendar_refused(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dashboard/calendar")
    bad = {"name": "oops.ics", "mimeType": "text/calendar", "buffer": b"BEGIN:VCALENDAR\r\nno"}
    await page.get_by_label("Your school's calendar file").set_input_files(bad)  # type: ignore[arg-type]
    await page.get_by_role("button", name="Preview").click()
    await page.get_by_role("alert").get_by_text("Nothing was saved").wait_for()


async def dev_mail(page: Page, data: dict[str, str]) -> None:
    await page.goto("/dev/mailbox")
    await page.get_by_role("link", name="Sign in to CPD follow-through").click()
    await page.get_by_role("heading", name="Links").wait_for()


# Every page there is (the API docs aside), in the order walked: a
# visit may rely on an earlier one (Ada's link is replaced by "fresh-link-sent").
PAGES: list[Visit] = [
    # Teachers, from their emails.
    Visit("answer-plan", "{action-plan}"),
    Visit("answer-confirm", "{checkin_tap}"),
    Visit("answer-impact", "{impact}"),
    Visit("answer-reflection", "{reflection}"),
    Visit("answer-evidence", "{evidence}"),
    Visit("answer-recorded", recorded),
    Visit("manage", "{manage}"),
    Visit("manage-paused", paused),
    Visit("fresh-link", "/p"),
    Visit("fresh-link-sent", fresh_link_sent),
    Visit("portfolio", "{portfolio}"),
    Visit("support-check", "{support_check}"),
    Visit("support-check-answered", support_answered),
    Visit("link-not-valid", "/a/not-a-real-link", status=400),
    Visit("link-replaced", "{replaced}", status=410),
    # Leaders, by their links and the sign-in pages.
    Visit("login", "/dashboard/login"),
    Visit("login-sent", login_sent),
    Visit("login-no-school-account", no_school_account),
    Visit("magic-link-confirm", "{magic_link}"),
    Visit("level3", "{level3}"),
    Visit("level3-answered", level3_answered),
    Visit("digest-off", "{digest}"),
    Visit("digest-off-done", digest_stopped),
    # Signed in.
    Visit("lead-home", "/dashboard", "lead"),
    Visit("lead-event", "/dashboard/events/{support_event}", "lead"),
    Visit("lead-event-asking-for-help", "/dashboard/events/{checkin_event}", "lead"),
    Visit("lead-no-such-event", "/dashboard/events/no-such-event", "lead", status=404),
    Visit("lead-event-people", "/dashboard/events/{checkin_event}/people", "lead"),
    Visit("lead-event-person", "/dashboard/events/{checkin_event}/people/{alan}", "lead"),
    Visit(
        "lead-event-person-remove", "/dashboard/events/{checkin_event}/people/{alan}/remove", "lead"
    ),
    Visit("lead-event-add", "/dashboard/events/{checkin_event}/add", "lead"),
    Visit("lead-event-cancel", "/dashboard/events/{checkin_event}/cancel", "lead"),
    Visit("lead-new", "/dashboard/new", "lead"),
    Visit("lead-new-preview", new_preview, "lead"),
    Visit("lead-plans", "/dashboard/plans", "lead"),
    Visit("lead-plan", "/dashboard/plans/{plan_id}", "lead"),
    Visit("lead-plan-edit", "/dashboard/plans/{plan_id}/edit", "lead"),
    Visit("lead-data", "/dashboard/data", "lead"),
    Visit("lead-settings", "/dashboard/settings", "lead"),
    Visit("lead-settings-refused", settings_refused, "lead"),
    Visit("lead-settings-branding", "/dashboard/settings/branding", "lead"),
    Visit("lead-settings-leaders", "/dashboard/settings/leaders", "lead"),
    Visit("lead-settings-keys", "/dashboard/settings/keys", "lead"),
    Visit("lead-settings-key-revoke", "/dashboard/settings/keys/{key_id}/revoke", "lead"),
    Visit("lead-calendar", "/dashboard/calendar", "lead"),
    Visit("lead-calendar-preview", calendar_preview, "lead"),
    Visit("lead-calendar-refused", calendar_refused, "lead"),
    Visit("lead-calendar-saved", calendar_saved, "lead"),
    Visit("leader-home", "/dashboard", "leader"),
    Visit("leader-event", "/dashboard/events/{checkin_event}", "leader"),
    Visit("trust-home", "/dashboard/trust", "trust"),
    Visit("trust-school", "/dashboard/trust/schools/{school_id}", "trust"),
    # Development only: what the local SMTP server received.
    Visit("dev-mailbox", "/dev/mailbox"),
    Visit("dev-mailbox-message", dev_mail),
]


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def link_in(s: Stack, to: str, part: str) -> str:
    """The first link containing ``part`` in a message to ``to`` (waiting for it)."""
    for _ in range(300):
        for mail in s.smtp.inbox.to(to):
            found = [x for x in links_of(mail) if part in x]
            if found:
                return path_of(found[0])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no link with {part!r} reached {to}")


async def answer_links(s: Stack, to: str, *steps: str) -> dict[str, str]:
    """The answer link of each step whose email has come to ``to``, by step id, once
    those ``steps`` have come."""
    for _ in range(300):
        found: dict[str, str] = {}
        for mail in s.smtp.inbox.to(to):
            for link in links_of(mail):
                if "/a/" in link:
                    path = urlsplit(link).path
                    step = s.signer.verify(path.split("/a/")[1], "answer").step_id
                    found.setdefault(step, path)
        if all(step in found for step in steps):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{to} was not asked {steps}: only {sorted(found)}")


async def participant(s: Stack, event_id: str, email: str) -> str:
    async with s.db() as db:
        found = select(Participant).where(
            Participant.event_id == event_id, Participant.email == email
        )
        return (await db.exec(found)).one().id


async def prepare(s: Stack) -> dict[str, str]:
    """Real data behind every page: an event triggered, answered, asked about, summarised."""
    await admin.add_leader(s.db, LEAD, "cpd_lead", school_id=s.school_id)
    await admin.add_leader(s.db, LEADER, "leader", school_id=s.school_id)
    await admin.create_trust(s.db, "oak-trust", "Oak Trust", [s.school_id])
    await admin.add_leader(s.db, TRUST, "trust", trust_id="oak-trust")
    data = {}
    for step, title in (("support", "Questioning"), ("checkin", "Coaching")):
        body = event(step, TEACHERS, plan=asking(step), event_date=days_ago(0), title=title)
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        data[f"{step}_event"] = str(created.json()["id"])
    for step in ("impact", "action-plan", "reflection", "evidence"):  # Grace's alone
        body = event(step, [TEACHERS[2]], plan=asking(step), event_date=days_ago(0))
        other = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert other.status_code == 201, other.text

    # The answers behind the figures: ratings, a check-in and a request for help. Grace
    # answers nothing: her questions are the answer pages walked.
    for who, rating, checkin in ((ADA, "4", "tried_twice"), (ALAN, "2", "need_help")):
        links = await answer_links(s, who, "support", "checkin")
        for step, said in (("support", rating), ("checkin", checkin)):
            answered = await s.api.post(links[step], data={"choice": said, "text": "With 9X2"})
            assert "recorded" in answered.text
    grace = await answer_links(s, GRACE, *ASKS)
    data |= {step: grace[step] for step in ASKS}
    data["checkin_tap"] = grace["checkin"] + "?choice=tried_twice"
    data["manage"] = await link_in(s, GRACE, "/u/")
    data["portfolio"] = await link_in(s, GRACE, "/p/")
    coaching = data["checkin_event"]
    alan = data["alan"] = await participant(s, coaching, ALAN)
    data["school_id"] = s.school_id
    data["plan_id"] = DEFAULT_PLAN_ID
    async with s.db() as db:
        key = (await db.exec(select(ApiKey).where(ApiKey.school_id == s.school_id))).first()
        assert key is not None
        data["key_id"] = str(key.id)
    for _ in range(100):  # the workflow records the request just after the answer
        async with s.db() as db:
            asked = select(HelpRequest).where(HelpRequest.participant_id == alan)
            if (request := (await db.exec(asked)).first()) is not None:
                break
        await asyncio.sleep(0.1)
    assert request is not None
    # As the step email after the lead marks the help given signs it (activities/email.py).
    data["support_check"] = f"/s/{s.signer.sign(alan, str(request.id), 'support')}?helped=yes"
    # Replaced when she asks for a fresh link (the visit "fresh-link-sent", before this one).
    data["replaced"] = (await answer_links(s, ADA, "support"))["support"]

    now = datetime.now(UTC)
    # What the worker does each school day (it may have done it already: asked once).
    await LeaderChecks(s.db, SmtpSender(s.settings), s.settings, s.signer).send_due(now)
    data["level3"] = await link_in(s, LEAD, "rating=4")
    digest = WeeklyDigest(s.db, s.app.state.resources.mailer, s.settings, s.signer)
    await digest.send_due(now)
    data["digest"] = await link_in(s, LEAD, "/dashboard/digest/")
    data["magic_link"] = path_of(await sign_in_link(s, LEAD))
    return data


@asynccontextmanager
async def as_person(chromium: Browser, s: Stack, base: str, who: str) -> AsyncIterator[Page]:
    """A browser context of one's own: signed in as a leader, or nobody in particular."""
    if who != "anyone":
        async with signed_in(chromium, s, base, WHO[who]) as page:
            yield page
        return
    context = await chromium.new_context(base_url=base)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def walk(
    chromium: Browser, s: Stack, base: str, data: dict[str, str], visits: list[Visit]
) -> list[str]:
    """Each visit in turn, each person in a browser context of their own; every problem."""
    problems: list[str] = []
    async with AsyncExitStack() as people:
        pages: dict[str, Page] = {}
        seen: dict[str, list[str]] = {}
        for visit in visits:
            if visit.who not in pages:
                pages[visit.who] = await people.enter_async_context(
                    as_person(chromium, s, base, visit.who)
                )
                seen[visit.who] = refusals(pages[visit.who])
            page = pages[visit.who]
            refused = seen[visit.who]
            already = len(refused)
            if isinstance(visit.go, str):
                response = await page.goto(visit.go.format(**data))
                assert response is not None
                assert response.status == visit.status, (visit.name, response.status)
            else:
                await visit.go(page, data)
            problems += await accessibility_problems(page, visit.name)
            problems += [f"{visit.name}: its policy refused {x}" for x in refused[already:]]
    return problems


def kind_of(mail: EmailMessage) -> str:
    """A short name for the kind of email: its subject, in a file name's letters."""
    return re.sub(r"[^a-z0-9]+", "-", str(mail["Subject"]).lower()).strip("-")[:40]


# Kinds of email the walk must have checked, one from each template but next year's dates.
EMAILS = (
    "sign-in-to-cpd-follow-through",  # magic_link
    "your-cpd-portfolio",  # portfolio_link
    "time-and-resources",  # leader_check
    "this-week-s-cpd-follow-through",  # weekly_digest
    "1-colleague-has-asked-for-support",  # help_requests
    "how-is-it-going",  # step: a check-in
    "some-help-with",  # step: the support tip after "I need help"
    "your-action-plan",  # step: an action plan
)


async def check_emails(chromium: Browser, s: Stack) -> list[str]:
    """Each kind of email that came, shown as a page: its HTML passes the same check."""
    kinds: dict[str, EmailMessage] = {}
    for mail in s.smtp.inbox.messages:
        kinds.setdefault(kind_of(mail), mail)
    missing = [k for k in EMAILS if not any(kind.startswith(k) for kind in kinds)]
    assert not missing, f"no email {missing} to check; came: {sorted(kinds)}"
    problems: list[str] = []
    page = await chromium.new_page()
    for kind, mail in sorted(kinds.items()):
        await page.set_content(html_of(mail))
        problems += await accessibility_problems(page, f"email-{kind}")
    await page.close()
    return problems


async def test_every_page_passes_axe_at_320px_and_desktop(
    dev_stack: StackFactory, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Grace has a question from six events at once: more than a week's usual emails.
    maildir = tmp_path / "maildir"
    settings = {"email_budget_per_week": 20, "help_notify_seconds": 0.3, "dev_mailbox_dir": maildir}
    async with dev_stack(public_base_url=base, **settings) as s, served(s.app, port):
        data = await prepare(s)
        # The dev mailbox shows a message as the dev SMTP server would have kept it.
        [sign_in, *_] = [m for m in s.smtp.inbox.to(LEAD) if "Sign in" in str(m["Subject"])]
        mailbox.Maildir(str(maildir)).add(sign_in.as_bytes())
        async with browser() as chromium:
            problems = await walk(chromium, s, base, data, PAGES)
            problems += await check_emails(chromium, s)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
