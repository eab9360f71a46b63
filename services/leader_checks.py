"""Guskey level 3 asked of the school as well as its teachers.

When an event's plan reaches a level 3 step (a ``leader_check``), each of the school's
CPD leads is asked once, by email, the same question about the school: have the staff
on this event had the time and resources to embed it? They answer 1-5 in one tap (a
confirm page, as for teachers: mail scanners fetch every link) or by reply. The impact
view then shows the leaders' answer beside the teachers' ratings (services/reports.py).

Asked on the step's day or the first school-open moment after it, within two weeks;
an event whose step passed long before this was running is not asked late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from activities.email import reply_code_for
from activities.smtp import SmtpSender
from cpd import school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Db, Sessionmaker, unit_of_work
from cpd.models import Event, Leader, LeaderCheck, Participant, School, utcnow
from cpd.plans import IMPACT_CHOICES, Step, StepKind
from cpd.security import LinkError, LinkSigner
from cpd.settings import Settings
from emails.content import LEVEL3_LABELS
from emails.reading import read_choice
from emails.replies import new_text
from services.mail import send_now

log = logging.getLogger("cpd.leader_checks")

# How late a level 3 question may still go: after that, the moment has passed.
LATEST = timedelta(days=14)
# Events older than this have no step left to ask about (plans run about a year).
OLDEST_EVENT = timedelta(days=800)


def question_for(event_title: str) -> str:
    return f"Have the staff on {event_title} had the time and resources to embed it?"


class LeaderChecks:
    def __init__(
        self, sessionmaker: Sessionmaker, mailer: SmtpSender, settings: Settings, signer: LinkSigner
    ) -> None:
        self._db = sessionmaker
        self._mailer = mailer
        self._settings = settings
        self._signer = signer

    async def send_due(self, now: datetime) -> int:
        """Ask each CPD lead every level 3 question that is due and not yet asked, where
        the school is open now. The emails sent."""
        async with unit_of_work(self._db) as db:
            found = await db.exec(
                select(Event, School)
                .join(School, col(School.id) == col(Event.school_id))
                .where(
                    col(Event.cancelled_at).is_(None),
                    col(Event.event_date) >= (now - OLDEST_EVENT).date(),
                )
            )
            events = list(found.all())
        sent = 0
        for event, school in events:
            steps = [s for s in event.plan.steps if s.kind is StepKind.LEADER_CHECK]
            if not steps:
                continue
            entered = SchoolCalendar.model_validate_json(school.calendar_json)
            today = now.astimezone(entered.zone).date()
            due = [s for s in steps if _due(event.event_date, s, today)]
            if not due:
                continue
            calendar = school_year.effective(entered, today)
            if calendar.next_open_slot(now) != now:
                continue  # outside school hours: the next round asks
            for step in due:
                sent += await self._ask(event, school, step)
        return sent

    async def _ask(self, event: Event, school: School, step: Step) -> int:
        async with unit_of_work(self._db) as db:
            running = await db.exec(
                select(Participant.id)
                .where(Participant.event_id == event.id, Participant.stage != "withdrawn")
                .limit(1)
            )
            if running.first() is None:
                return 0  # nobody left on it: nothing to ask about
            leads = (
                await db.exec(
                    select(Leader).where(Leader.school_id == school.id, Leader.role == "cpd_lead")
                )
            ).all()
        sent = 0
        for lead in leads:
            assert lead.id is not None
            check = await self._claim(event, step, lead.id, school.id)
            if check is None:
                continue  # asked already, by this worker or another
            try:
                await self.send_question(check, event, school, lead, "initial")
            except Exception:
                # Not sent: give the claim back so the next round asks.
                async with unit_of_work(self._db) as db:
                    row = await db.get(LeaderCheck, check.id)
                    if row is not None:
                        await db.delete(row)
                raise
            sent += 1
        return sent

    async def _claim(
        self, event: Event, step: Step, leader_id: int, school_id: str
    ) -> LeaderCheck | None:
        key = f"leader-check:{event.id}:{step.id}:{leader_id}"
        check = LeaderCheck(
            school_id=school_id,
            event_id=event.id,
            step_id=step.id,
            leader_id=leader_id,
            reply_code=reply_code_for(key, self._settings.secret),
        )
        try:
            async with unit_of_work(self._db) as db:
                db.add(check)
        except IntegrityError:
            return None
        return check

    async def take_reply(self, db: Db, code: str, message: EmailMessage) -> Replied:
        """A CPD lead's emailed answer. An unclear one is kept, and the lead is sent the
        one-tap buttons (once: a second unclear reply is kept, unanswered)."""
        check = await check_for_reply(db, code)
        if check is None:
            raise LinkError("No such question")
        text = new_text(message)[:5000]
        rating = read_choice(text, StepKind.LEADER_CHECK) if text else None
        if rating is not None:
            return Replied(recorded=True, before=not await answer(db, check, rating, text))
        if check.rating is not None or check.text:
            return Replied(recorded=False, before=check.rating is not None)
        check.text = text or " "
        await db.commit()
        event = await db.get(Event, check.event_id)
        school = await db.get(School, check.school_id)
        lead = await db.get(Leader, check.leader_id)
        if event and school and lead:
            await self.send_question(check, event, school, lead, "clarify")
        return Replied(recorded=False)

    async def send_question(
        self, check: LeaderCheck, event: Event, school: School, lead: Leader, purpose: str
    ) -> None:
        base = self._settings.public_base_url.rstrip("/")
        token = self._signer.sign(str(check.id), "*", "leader_check")
        options = [
            {"label": LEVEL3_LABELS[c], "url": f"{base}/dashboard/level3/{token}?rating={c}"}
            for c in IMPACT_CHOICES
        ]
        context = {
            "school_name": school.name,
            "event_title": event.title,
            "question": question_for(event.title),
            "options": options,
            "purpose": purpose,
            "link": f"{base}/dashboard/events/{event.id}",
        }
        await send_now(
            self._mailer,
            self._settings,
            "leader_check",
            context,
            to=lead.email,
            to_name=lead.name,
            reply_to=f"lead+{check.reply_code}@{self._settings.mail_reply_domain}",
        )


@dataclass(frozen=True)
class Replied:
    recorded: bool  # False: unclear, and the lead was sent the buttons (or had answered)
    before: bool = False  # they had answered already: the first answer stands


def _due(event_date: date, step: Step, today: date) -> bool:
    day = event_date + timedelta(days=step.offset_days)
    return day <= today <= day + LATEST


@dataclass(frozen=True)
class Asked:
    """A CPD lead's level 3 link: the question and its event."""

    check: LeaderCheck
    event: Event


async def asked(db: Db, signer: LinkSigner, token: str) -> Asked:
    claims = signer.verify(token, "leader_check")
    check_id = claims.participant_id
    check = await db.get(LeaderCheck, int(check_id)) if check_id.isdigit() else None
    event = await db.get(Event, check.event_id) if check else None
    if check is None or event is None:
        raise LinkError("This question no longer exists.")
    if await db.get(Leader, check.leader_id) is None:
        raise LinkError("This link is for a leader who is no longer at the school.")
    return Asked(check, event)


async def answer(db: Db, check: LeaderCheck, rating: str, text: str = "") -> bool:
    """Record the leader's rating; False if they had answered already (the first stands)."""
    if rating not in IMPACT_CHOICES:
        raise ValueError("choose a number from 1 to 5")
    if check.rating is not None:
        return False
    check.rating = int(rating)
    check.text = text[:5000]
    check.answered_at = utcnow()
    await db.commit()
    return True


async def check_for_reply(db: Db, code: str) -> LeaderCheck | None:
    return (await db.exec(select(LeaderCheck).where(LeaderCheck.reply_code == code))).first()
