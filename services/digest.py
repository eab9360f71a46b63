"""A weekly summary for each CPD lead: what happened across their school's follow-throughs.

Short, one screen, one link: answers and evidence this week, who is asking for support or
whose emails bounce, and how many steps are due next week. Sent once a week (the first
moment the school is open), never to a lead who switched it off. Figures only, and names
where a CPD lead sees them anyway: no teacher's words.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select

from activities.smtp import SmtpSender
from cpd import school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Db, Sessionmaker, unit_of_work
from cpd.models import Answer, DigestOptOut, Evidence, Leader, Participant, School
from cpd.security import LinkSigner
from cpd.settings import Settings
from services.mail import claim_once, send_now

WEEK = timedelta(days=7)
NAMES = 10


class WeeklyDigest:
    def __init__(
        self, sessionmaker: Sessionmaker, mailer: SmtpSender, settings: Settings, signer: LinkSigner
    ) -> None:
        self._db = sessionmaker
        self._mailer = mailer
        self._settings = settings
        self._signer = signer

    async def send_due(self, now: datetime) -> int:
        """This week's summary to every CPD lead who has not had it, where the school is
        open now. The emails sent."""
        async with unit_of_work(self._db) as db:
            leads = (
                await db.exec(
                    select(Leader, School)
                    .join(School, col(School.id) == col(Leader.school_id))
                    .where(Leader.role == "cpd_lead")
                )
            ).all()
            off = set((await db.exec(select(DigestOptOut.leader_id))).all())
        sent = 0
        for lead, school in leads:
            if lead.id in off:
                continue
            entered = SchoolCalendar.model_validate_json(school.calendar_json)
            calendar = school_year.effective(entered, now.astimezone(entered.zone).date())
            if calendar.next_open_slot(now) != now:
                continue
            year, week, _ = now.astimezone(calendar.zone).isocalendar()
            if not await claim_once(self._db, f"digest:{school.id}:{lead.id}:{year}-W{week:02d}"):
                continue
            async with unit_of_work(self._db) as db:
                figures = await _figures(db, school.id, now)
            base = self._settings.public_base_url.rstrip("/")
            off_link = f"{base}/dashboard/digest/{self._signer.sign(str(lead.id), '*', 'digest')}"
            context = {
                "school_name": school.name,
                **figures,
                "link": f"{base}/dashboard",
                "off_link": off_link,
            }
            await send_now(
                self._mailer,
                self._settings,
                "weekly_digest",
                context,
                to=lead.email,
                unsubscribe_url=off_link,
            )
            sent += 1
        return sent


async def _figures(db: Db, school_id: str, now: datetime) -> dict[str, object]:
    since = now - WEEK
    answers = await db.exec(
        select(func.count())
        .select_from(Answer)
        .where(Answer.school_id == school_id, col(Answer.answered_at) >= since)
    )
    evidence = await db.exec(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.school_id == school_id, col(Evidence.created_at) >= since)
    )
    due = await db.exec(
        select(func.count())
        .select_from(Participant)
        .where(
            Participant.school_id == school_id,
            col(Participant.next_due_at) >= now,
            col(Participant.next_due_at) < now + WEEK,
        )
    )
    people = select(Participant.name).where(Participant.school_id == school_id)
    asking = await db.exec(
        people.where(col(Participant.needs_help).is_(True)).order_by(col(Participant.name))
    )
    bouncing = await db.exec(
        people.where(col(Participant.email_bounced).is_(True)).order_by(col(Participant.name))
    )
    asking_all, bouncing_all = list(asking.all()), list(bouncing.all())
    return {
        "answers": answers.one(),
        "evidence": evidence.one(),
        "due_next_week": due.one(),
        "asking": asking_all[:NAMES],
        "asking_more": max(0, len(asking_all) - NAMES),
        "bouncing": bouncing_all[:NAMES],
        "bouncing_more": max(0, len(bouncing_all) - NAMES),
    }


async def switch_off(db: Db, signer: LinkSigner, token: str) -> None:
    """The lead's "no more weekly summaries" link: idempotent."""
    leader_id = int(signer.verify(token, "digest").participant_id)
    if await db.get(DigestOptOut, leader_id) is None:
        db.add(DigestOptOut(leader_id=leader_id))
