"""The one redaction rule: who may read what a teacher wrote.

A reflection is the teacher's own unless they ticked "Share this with my CPD lead"
(an emailed reflection is never shared: a reply has no tick box). Everything else a
teacher answers (plans, check-ins, ratings, evidence) is seen by their CPD lead. What
is shared is shared with the CPD lead: other leaders and trusts see counts only.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy
from pydantic import ValidationError
from sqlmodel import col, select, update

from cpd.models import Answer, Event
from cpd.plans import Plan, StepKind


def shared_with_lead(kind: StepKind | None, fields: Mapping[str, str]) -> bool:
    """May the school's CPD lead read this answer's words? (``kind`` None: a step the
    plan no longer has, kept private.)"""
    if kind is None:
        return False
    return kind is not StepKind.REFLECTION or fields.get("share") == "yes"


def unshare_unticked_reflections(conn: sqlalchemy.Connection) -> None:
    """Reflections recorded before this rule was kept everywhere: emailed ones, and any
    without the tick, were stored as shared. Make them private; harmless to repeat."""
    for event_id, plan_json in conn.execute(select(Event.id, Event.plan_json)).all():
        try:
            plan = Plan.model_validate_json(plan_json)
        except ValidationError:
            continue  # no plan to read reflections from: nothing was shown as one either
        reflections = [s.id for s in plan.steps if s.kind is StepKind.REFLECTION]
        if not reflections:
            continue
        conn.execute(
            update(Answer)
            .where(
                col(Answer.event_id) == event_id,
                col(Answer.step_id).in_(reflections),
                col(Answer.shared).is_(True),
                ~col(Answer.fields_json).contains('"share": "yes"'),
            )
            .values(shared=False)
        )
