"""The plans a school may choose from, and the plan an event request names.

The built-in plans (cpd/builtin_plans.py), the school's own saved plans, or a plan sent
whole with the request. A school's plan is saved in versions: saving an edit adds the
next version and never changes an earlier one, and an event keeps the copy of the plan
it started with (Event.plan_json), so a running follow-through is never changed by an
edit.

Ids: a built-in plan by its own id ("whole-school-inset"); a school's plan as
"school:<key>" (its latest version) or "school:<key>@<version>" (that version).
Another school's plans are unknown here, exactly like ids that never existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from cpd.builtin_plans import BUILTIN_PLANS
from cpd.db import Db
from cpd.models import SchoolPlan
from cpd.plans import STEPS_DESCRIPTION, Plan, Step, check_steps
from services.errors import Conflict, NotFound
from services.schemas import SCHOOL_PLAN_ID, EventCreate, OneLine

SCHOOL = "school:"
_SCHOOL_ID = re.compile(f"^{SCHOOL_PLAN_ID}$")


@dataclass(frozen=True)
class PlanChoice:
    id: str
    name: str
    plan: Plan
    builtin: bool
    # A school's plan: its key and version, when and by whom this version was saved.
    version: int = 1
    key: str = ""
    saved_at: datetime | None = None
    saved_by: str = ""


def school_plan_id(key: str, version: int | None = None) -> str:
    return f"{SCHOOL}{key}@{version}" if version else f"{SCHOOL}{key}"


def _choice(row: SchoolPlan) -> PlanChoice:
    return PlanChoice(
        id=school_plan_id(row.plan_key, row.version),
        name=row.name,
        plan=row.plan,
        builtin=False,
        version=row.version,
        key=row.plan_key,
        saved_at=row.created_at,
        saved_by=row.created_by,
    )


def _builtin(plan: Plan) -> PlanChoice:
    return PlanChoice(plan.id, plan.name, plan, True, version=plan.version)


async def _latest_rows(db: Db, school_id: str) -> list[SchoolPlan]:
    latest = (
        select(col(SchoolPlan.plan_key), func.max(SchoolPlan.version).label("version"))
        .where(SchoolPlan.school_id == school_id)
        .group_by(col(SchoolPlan.plan_key))
        .subquery()
    )
    query = (
        select(SchoolPlan)
        .join(
            latest,
            (col(SchoolPlan.plan_key) == latest.c.plan_key)
            & (col(SchoolPlan.version) == latest.c.version),
        )
        .where(SchoolPlan.school_id == school_id)
        .order_by(col(SchoolPlan.name), col(SchoolPlan.plan_key))
    )
    return list((await db.exec(query)).all())


async def choices(db: Db, school_id: str) -> list[PlanChoice]:
    """Every plan this school may start a follow-through with: the built-in plans, then
    the latest version of each of the school's own (its id names that version)."""
    builtins = [_builtin(p) for p in BUILTIN_PLANS.values()]
    return builtins + [_choice(row) for row in await _latest_rows(db, school_id)]


async def versions(db: Db, school_id: str, key: str) -> list[PlanChoice]:
    """Every version of one of the school's plans, newest first."""
    query = (
        select(SchoolPlan)
        .where(SchoolPlan.school_id == school_id, SchoolPlan.plan_key == key)
        .order_by(col(SchoolPlan.version).desc())
    )
    return [_choice(row) for row in (await db.exec(query)).all()]


async def plan_by_id(db: Db, school_id: str, plan_id: str) -> PlanChoice:
    """The plan this id names, for this school; NotFound otherwise (another school's too)."""
    if plan_id in BUILTIN_PLANS:
        return _builtin(BUILTIN_PLANS[plan_id])
    found = _SCHOOL_ID.match(plan_id)
    if found is not None:
        key, version = found.group(1), found.group(2)
        query = select(SchoolPlan).where(
            SchoolPlan.school_id == school_id, SchoolPlan.plan_key == key
        )
        if version:
            query = query.where(SchoolPlan.version == int(version))
        row = (await db.exec(query.order_by(col(SchoolPlan.version).desc()).limit(1))).first()
        if row is not None:
            return _choice(row)
    raise NotFound(
        f"No plan {plan_id!r}: use a built-in plan's id or one of your school's "
        "(GET /v1/plans lists them)."
    )


async def resolve(db: Db, school_id: str, body: EventCreate) -> Plan:
    """The plan this request starts with: sent whole, or named by id. A well-formed id the
    school has no plan by is a Conflict (with what the school has, not with the request's
    form: saving that plan first would let the same request through)."""
    if body.plan is not None:
        return body.plan
    try:
        return (await plan_by_id(db, school_id, body.plan_id)).plan
    except NotFound as exc:
        message = exc.detail.removeprefix(f"No plan {body.plan_id!r}: ")
        message = f"no such plan: {message}"
        raise Conflict(
            f"plan_id: {message}", [{"field": "plan_id", "message": message}], code="unknown_plan"
        ) from None


def id_of(body: EventCreate, plan: Plan) -> str:
    """The plan id an event records (Event.plan_id): one GET /v1/plans/{id} finds, so a
    school's plan is named with the version the event started with."""
    if body.plan is None and body.plan_id not in BUILTIN_PLANS:
        return school_plan_id(plan.id, plan.version)
    return plan.id


class SchoolPlanIn(BaseModel):
    """A school's plan to save: a new plan, or (with ``key``) the next version of one."""

    key: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,47}$",
        description="One of the school's plans to save a new version of; omit for a new plan",
    )
    name: OneLine = Field(min_length=1, max_length=120)
    stream: str = Field(default="custom", max_length=40)
    steps: list[Step] = Field(min_length=1, max_length=120, description=STEPS_DESCRIPTION)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Our feedback plan",
                    "steps": [
                        {
                            "id": "action-plan",
                            "kind": "action_plan",
                            "title": "Your plan",
                            "offset_days": 0,
                            "send_time": "16:00",
                            "prompt": "Which class, how often, for how long?",
                        },
                        {
                            "id": "impact-3-months",
                            "kind": "impact_check",
                            "offset_days": 91,
                            "guskey_level": 4,
                            "answer_window_working_days": 10,
                        },
                    ],
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _steps_together(self) -> SchoolPlanIn:
        self.steps = check_steps(self.steps)
        return self


class PlanSummary(BaseModel):
    id: str = Field(description="Pass as plan_id to POST /v1/events")
    name: str
    builtin: bool
    version: int
    key: str = Field(default="", description="A school plan's key, the same in every version")
    steps: int
    saved_at: datetime | None = None

    @classmethod
    def of(cls, c: PlanChoice) -> PlanSummary:
        return cls(
            id=c.id,
            name=c.name,
            builtin=c.builtin,
            version=c.version,
            key=c.key,
            steps=len(c.plan.steps),
            saved_at=c.saved_at,
        )


class PlanList(BaseModel):
    items: list[PlanSummary] = Field(
        description="Built-in plans, then the latest version of each of the school's own"
    )


class PlanOut(PlanSummary):
    plan: Plan

    @classmethod
    def whole(cls, c: PlanChoice) -> PlanOut:
        return cls(**PlanSummary.of(c).model_dump(), plan=c.plan)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return slug or "plan"


async def _new_key(db: Db, school_id: str, name: str) -> str:
    """A key for a new plan, from its name: unlike any built-in id or the school's keys."""
    taken = set(BUILTIN_PLANS) | {
        key
        for key in (
            await db.exec(select(col(SchoolPlan.plan_key)).where(SchoolPlan.school_id == school_id))
        ).all()
    }
    base = _slug(name)
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


async def save(db: Db, school_id: str, body: SchoolPlanIn, by: str) -> PlanChoice:
    """Save a new plan (version 1), or the next version of one of the school's plans.
    Earlier versions stay as they were. Commits."""
    if body.key is None:
        key, version = await _new_key(db, school_id, body.name), 1
    else:
        key = body.key
        existing = await versions(db, school_id, key)
        if not existing:
            # Like a plan_id the school has no plan by: a Conflict with what it has.
            message = "not one of your school's plans: omit it to save a new plan"
            raise Conflict(
                f"key: {message}", [{"field": "key", "message": message}], code="unknown_plan"
            )
        version = existing[0].version + 1
    plan = Plan(id=key, version=version, name=body.name, stream=body.stream, steps=body.steps)
    row = SchoolPlan(
        school_id=school_id,
        plan_key=key,
        version=version,
        name=body.name,
        plan_json=plan.model_dump_json(),
        created_by=by,
    )
    db.add(row)
    try:
        await db.commit()
    except IntegrityError:
        # Saved at the same moment by someone else: theirs is this version.
        await db.rollback()
        raise Conflict(
            "This plan was saved by someone else just now: reload it and save again."
        ) from None
    await db.refresh(row)
    return _choice(row)
