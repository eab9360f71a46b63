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

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from cpd.db import Sessionmaker, unit_of_work
from cpd.models import EmailBudgetSlot


class ReserveIn(BaseModel):
    send_key: str
    to: str
    at: datetime
    timezone: str


class ReserveOut(BaseModel):
    granted: bool
    used: int
    per_week: int


def teacher_key(address: str) -> str:
    # One inbox, one budget, whichever school or event the email is for.
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]


def week_start(at: datetime, timezone: str) -> date:
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


class BudgetActivities:
    def __init__(self, sessionmaker: Sessionmaker, per_week: int) -> None:
        self._db = sessionmaker
        self._per_week = per_week

    @activity.defn
    async def reserve_email(self, inp: ReserveIn) -> ReserveOut:
        key, week = teacher_key(inp.to), week_start(inp.at, inp.timezone)
        for _ in range(self._per_week + 1):
            async with self._db() as session:
                if await session.get(EmailBudgetSlot, inp.send_key) is not None:
                    # A retried activity: the slot was already granted.
                    return await self._result(True, key, week)
                used = await self._used(session, key, week)
            if used >= self._per_week:
                return ReserveOut(granted=False, used=used, per_week=self._per_week)
            try:
                async with unit_of_work(self._db) as session:
                    session.add(
                        EmailBudgetSlot(
                            send_key=inp.send_key, teacher_key=key, week_start=week, slot=used + 1
                        )
                    )
            except IntegrityError:
                continue  # another send took that slot (or this key) first: look again
            return ReserveOut(granted=True, used=used + 1, per_week=self._per_week)
        raise RuntimeError("could not reserve a budget slot; retrying")

    async def _used(self, session: AsyncSession, key: str, week: date) -> int:
        query = (
            select(func.count())
            .select_from(EmailBudgetSlot)
            .where(EmailBudgetSlot.teacher_key == key, EmailBudgetSlot.week_start == week)
        )
        return int((await session.exec(query)).one())

    async def _result(self, granted: bool, key: str, week: date) -> ReserveOut:
        async with self._db() as session:
            used = await self._used(session, key, week)
        return ReserveOut(granted=granted, used=used, per_week=self._per_week)
