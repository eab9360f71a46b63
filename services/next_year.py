"""Asking a CPD lead for next year's term dates, well before they matter.

Past a school's last entered term, emails avoid its nation's estimated holidays, which
may not be the school's own. Eight weeks before that last term ends, while any of its
follow-throughs is still running, each CPD lead is emailed once (in school hours) to add
next year's dates; entering them re-plans the waiting steps (services/triggers.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from activities.smtp import SmtpSender
from cpd import school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Sessionmaker, unit_of_work
from cpd.models import Leader, Participant, School
from cpd.settings import Settings
from services.mail import claim_once, send_now

AHEAD = timedelta(weeks=8)
RUNNING = ("scheduled", "waiting", "awaiting_answer", "paused")


class NextYearDates:
    def __init__(self, sessionmaker: Sessionmaker, mailer: SmtpSender, settings: Settings) -> None:
        self._db = sessionmaker
        self._mailer = mailer
        self._settings = settings

    async def ask_due(self, now: datetime) -> int:
        """Ask each CPD lead of each school whose entered terms end within eight weeks and
        which has follow-throughs running. The emails sent."""
        async with unit_of_work(self._db) as db:
            found = await db.exec(
                select(Leader, School)
                .join(School, col(School.id) == col(Leader.school_id))
                .where(Leader.role == "cpd_lead")
            )
            leads = list(found.all())
        sent = 0
        for lead, school in leads:
            entered = SchoolCalendar.model_validate_json(school.calendar_json)
            last = max((t.end for t in entered.terms), default=None)
            today = now.astimezone(entered.zone).date()
            if last is None or entered.nation is None or not today >= last - AHEAD:
                continue  # no terms entered (warned at every trigger), or not yet time
            calendar = school_year.effective(entered, today)
            if calendar.next_open_slot(now) != now or not await self._running(school.id):
                continue
            if not await claim_once(self._db, f"next-year:{school.id}:{lead.id}:{last}"):
                continue
            base = self._settings.public_base_url.rstrip("/")
            context = {
                "school_name": school.name,
                "last_day": f"{last:%A} {last.day} {last:%B %Y}",
                "nation": entered.nation.replace("_", " ").title(),
                "link": f"{base}/dashboard/calendar",
            }
            await send_now(self._mailer, self._settings, "next_year_dates", context, to=lead.email)
            sent += 1
        return sent

    async def _running(self, school_id: str) -> bool:
        async with unit_of_work(self._db) as db:
            found = await db.exec(
                select(Participant.id)
                .where(Participant.school_id == school_id, col(Participant.stage).in_(RUNNING))
                .limit(1)
            )
            return found.first() is not None
