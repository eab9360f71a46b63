"""The outgoing SMTP server down for more than a simulated day, on the time-skipping server:
when it is back, every email goes out once, in the school's open hours; a 5xx for one
address bounces only that one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.email import NOT_TRIED
from cpd.calendar import SchoolCalendar
from cpd.models import EmailSend
from cpd.school_year import effective
from tests.faults.tally import TALLY
from tests.support.calendars import LONDON
from tests.support.events import event
from tests.support.inbox import sent_at
from tests.support.stack import Stack, StackFactory
from tests.support.year import school_year_now

GONE = "gone@hillside.example"
TEACHERS = [{"name": f"Teacher {n}", "email": f"t{n}@hillside.example"} for n in range(4)]
EVERYONE = [*TEACHERS, {"name": "Gone", "email": GONE}]
# Due at 16:00, so the school closes (17:30) while the server is still down; one
# reminder two open days after the check-in, which must follow the check-in's email.
PLAN: dict[str, Any] = {
    "id": "checkin-chased",
    "name": "A check-in, chased once",
    "steps": [
        {
            "id": "checkin",
            "kind": "practice_checkin",
            "offset_days": 0,
            "send_time": "16:00",
            "reminders": {"max_reminders": 1, "every_working_days": 2},
        },
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}
OUTAGE = timedelta(hours=31)  # from 15:00 on the due day to 22:00 the next: back at night


def to_and_purpose(message: EmailMessage) -> tuple[str, str]:
    to = str(message["To"]).split("<")[-1].rstrip(">")
    subject = " ".join(str(message["Subject"]).split())
    return to, "reminder" if subject.startswith("Reminder:") else "initial"


def sent(message: EmailMessage) -> datetime:
    """The Date header: the time-skipping clock when it was handed over (UTC, "-0000")."""
    return sent_at(message).replace(tzinfo=UTC)


def is_open(calendar: SchoolCalendar, at: datetime) -> bool:
    """The school's rule, as its workflows read it: its calendar with the bank holidays
    and estimated holidays of the year around ``at``, in its own zone and send window."""
    school = effective(calendar, at.astimezone(calendar.zone).date())
    return school.next_open_slot(at) == at


async def skip(env: WorkflowEnvironment, span: timedelta) -> None:
    """Skipped time an hour at a time: one long skip is one call to the test server, and
    the many retries inside it can outlast the call's timeout on a loaded machine."""
    while span > timedelta(0):
        await env.sleep(min(span, timedelta(hours=1)))
        span -= timedelta(hours=1)


async def walk_until(env: WorkflowEnvironment, s: Stack, count: int, most_days: int = 14) -> None:
    """A day at a time until ``count`` messages have arrived, then two more for strays."""
    for _ in range(most_days):
        if len(s.smtp.inbox.messages) >= count:
            break
        await skip(env, timedelta(days=1))
    await skip(env, timedelta(days=2))


async def test_smtp_down_a_day_then_back_sends_each_email_once_in_open_hours(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, _ = await school_year_now(time_env, term_days=14)
    calendar = year.calendar
    async with ts_stack(calendar) as s:
        s.smtp.inbox.refuse = {GONE: "550 5.1.1 No such user here"}
        body = event("smtp-day", EVERYONE, plan=PLAN, event_date=monday.isoformat())
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text

        due = datetime.combine(monday, time(16), LONDON)
        assert is_open(calendar, due)
        await time_env.sleep(due - timedelta(hours=1) - await time_env.get_current_time())
        assert s.smtp.inbox.messages == []
        s.smtp.stop()
        TALLY.fault("smtp down a day")
        try:
            await skip(time_env, OUTAGE)
            assert s.smtp.inbox.messages == []
            back = await time_env.get_current_time()
            assert not is_open(calendar, back), "it should come back while the school is shut"
        finally:
            s.smtp.start_again()
        TALLY.fault("smtp 5xx")
        await walk_until(time_env, s, 2 * len(TEACHERS))

        messages = s.smtp.inbox.messages
        expected = [(t["email"], p) for t in TEACHERS for p in ("initial", "reminder")]
        delivered = [to_and_purpose(m) for m in messages]
        TALLY.emails(expected, delivered)
        assert Counter(delivered) == Counter(expected)
        for message in messages:
            at = sent(message)
            assert is_open(calendar, at), f"{to_and_purpose(message)} sent at {at}: school shut"
            assert at >= back, f"{to_and_purpose(message)} sent at {at}, while SMTP was down"
        for teacher in TEACHERS:
            mine = [m for m in messages if to_and_purpose(m)[0] == teacher["email"]]
            assert [to_and_purpose(m)[1] for m in mine] == ["initial", "reminder"]
            assert sent(mine[0]) < sent(mine[1])

        # The refused address: its check-in tried once and bounced, its reminder not tried
        # (it would be refused again), and only it.
        async with s.db() as db:
            rows = (await db.exec(select(EmailSend))).all()
        assert {r.to_addr for r in rows if r.status == "bounced"} == {GONE}
        assert {r.status for r in rows if r.to_addr != GONE} == {"sent"}
        gone_rows = sorted((r.purpose, r.status, r.error) for r in rows if r.to_addr == GONE)
        assert [(purpose, status) for purpose, status, _ in gone_rows] == [
            ("initial", "bounced"),
            ("reminder", "bounced"),
        ]
        assert gone_rows[1][2] == NOT_TRIED
        assert s.smtp.inbox.rcpt_calls.count(GONE) == 1
        people = (
            await s.api.get(f"/v1/events/{created.json()['id']}/participants", headers=s.auth())
        ).json()["items"]
        assert {p["email"]: p["email_bounced"] for p in people} == {
            t["email"]: t["email"] == GONE for t in EVERYONE
        }
