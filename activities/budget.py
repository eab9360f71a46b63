"""A per-teacher email budget across every follow-through they are in.

Before each send the workflow reserves a slot in the teacher's week (the
school's local ISO week). Granted: send. Refused: the workflow drops a
reminder, or defers anything else to the next week. docs/EMAIL_BUDGET.md says
why this lives in the app DB rather than in a per-teacher workflow.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select
from temporalio import activity

from activities.contracts import ReserveIn, ReserveOut
from cpd import metrics
from cpd.db import Transactions
from cpd.models import EmailBudgetSlot, School

# A school's own budget is at most this (services/school_settings.py): so many tries
# always find a free slot or see the week is full, however many sends race for it.
_MOST_TRIES = 11


def teacher_key(school_id: str, address: str) -> str:
    # One inbox at one school, one budget, whichever event the email is for. Keyed by
    # school too: no school can spend another school's budget for a teacher (a teacher
    # at two schools is two people here).
    return hashlib.sha256(f"{school_id}\n{address.strip().lower()}".encode()).hexdigest()[:32]


def week_start(at: datetime, timezone: str) -> date:
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


class BudgetActivities:
    def __init__(self, transactions: Transactions, per_week: int) -> None:
        # The default; a school that chose its own budget has it read at each send.
        self._tx = transactions
        self._per_week = per_week

    @activity.defn
    async def reserve_email(self, inp: ReserveIn) -> ReserveOut:
        for _ in range(max(self._per_week + 1, _MOST_TRIES)):
            try:
                out = await self._tx.write(self._reserve, inp)
            except IntegrityError:
                # PostgreSQL: another send took that slot first (SQLite writers take
                # turns, so it cannot happen there). Look again.
                continue
            if not out.granted:
                metrics.email("deferred", "weekly_budget")
            return out
        raise RuntimeError("could not reserve a budget slot; retrying")

    def _reserve(self, session: Session, inp: ReserveIn) -> ReserveOut:
        key, week = teacher_key(inp.school_id, inp.to), week_start(inp.at, inp.timezone)
        school = session.get(School, inp.school_id)
        per_week = (school and school.email_budget_per_week) or self._per_week
        granted = session.get(EmailBudgetSlot, inp.send_key) is not None  # a retry
        used, last = session.exec(
            select(func.count(), func.coalesce(func.max(EmailBudgetSlot.slot), 0)).where(
                EmailBudgetSlot.teacher_key == key, EmailBudgetSlot.week_start == week
            )
        ).one()
        if not granted and used < per_week:
            used += 1
            granted = True
            # Numbered after the highest, not the count: erasing one of the teacher's
            # follow-throughs may have left a gap, and the number must still be new.
            slot = EmailBudgetSlot(
                send_key=inp.send_key, teacher_key=key, week_start=week, slot=last + 1
            )
            session.add(slot)
        return ReserveOut(granted=granted, used=used, per_week=per_week)
