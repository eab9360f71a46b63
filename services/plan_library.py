"""The plans a school may choose from, and the plan an event request names.

Today the built-in plans (cpd/builtin_plans.py) or a plan sent whole with the request;
a school's own saved plans join them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpd.builtin_plans import BUILTIN_PLANS
from cpd.db import Db
from cpd.plans import Plan
from services.schemas import EventCreate


@dataclass(frozen=True)
class PlanChoice:
    id: str
    name: str
    plan: Plan
    builtin: bool


async def choices(db: Db, school_id: str) -> list[PlanChoice]:
    """Every plan this school may start a follow-through with."""
    return [PlanChoice(p.id, p.name, p, True) for p in BUILTIN_PLANS.values()]


async def resolve(db: Db, school_id: str, body: EventCreate) -> Plan:
    """The plan this request starts with: sent whole, or named by id."""
    return body.resolved_plan()
