"""A school's plans: the built-in ones and its own, saved in versions."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, SchoolDep
from api.errors import error_responses
from services import plan_library
from services.plan_library import PlanList, PlanOut, SchoolPlanIn

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("", response_model=PlanList, responses=error_responses(401, 403))
async def list_plans(school: SchoolDep, db: DbDep) -> PlanList:
    """The plans this school may start a follow-through with: built-in, then its own
    (the latest version of each)."""
    found = await plan_library.choices(db, school.id)
    return PlanList(items=[plan_library.PlanSummary.of(c) for c in found])


@router.get("/{plan_id}", response_model=PlanOut, responses=error_responses(401, 403, 404))
async def get_plan(plan_id: str, school: SchoolDep, db: DbDep) -> PlanOut:
    """One plan with its steps: a built-in id, school:<key> (latest version) or
    school:<key>@<version>."""
    return PlanOut.whole(await plan_library.plan_by_id(db, school.id, plan_id))


@router.post(
    "", response_model=PlanOut, status_code=201, responses=error_responses(401, 403, 409, 422)
)
async def save_plan(body: SchoolPlanIn, school: SchoolDep, db: DbDep) -> PlanOut:
    """Save a plan of the school's own; with ``key``, as the next version of that plan.
    Earlier versions are kept unchanged, and running follow-throughs keep the version
    they started with."""
    saved = await plan_library.save(db, school.id, body, by="api")
    return PlanOut.whole(saved)
