"""An event as a spreadsheet: one row per participant, one column per step."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlmodel import col, select

from cpd.db import Db
from cpd.models import Answer, Participant
from cpd.plans import Plan
from emails.content import choice_label
from services.reports import answers_of
from services.tenancy import owned_event


async def export_event(db: Db, school_id: str, event_id: str) -> tuple[str, str]:
    """The event's spreadsheet: (a file name, the CSV text)."""
    event = await owned_event(db, school_id, event_id)
    query = select(Participant).where(Participant.event_id == event.id)
    people = (await db.exec(query.order_by(col(Participant.name)))).all()
    answers = await answers_of(db, [p.id for p in people])
    return f"{event.reference}.csv", export_rows(event.plan, people, answers)


def export_rows(plan: Plan, people: Sequence[Participant], answers: Sequence[Answer]) -> str:
    by_key = {(a.participant_id, a.step_id): a for a in answers}
    out = io.StringIO()
    # A BOM so Excel opens UTF-8 names (Siân, Zoë) correctly.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "stage", "needs_help", "email_bounced", "missed_steps"]
        + step_columns(plan)
    )
    for p in people:
        cells = []
        for step in plan.steps:
            a = by_key.get((p.id, step.id))
            if a is not None and not a.shared:
                cells.append("(private)")
                continue
            cell = (
                ""
                if a is None
                else " - ".join(
                    x for x in (choice_label(a.choice, step.kind) if a.choice else "", a.text) if x
                )
            )
            cells.append(_safe(f"{cell} (late)" if a is not None and a.late else cell))
        writer.writerow(
            [_safe(p.name), p.email, p.stage, p.needs_help, p.email_bounced, p.missed_count] + cells
        )
    return out.getvalue()


def step_columns(plan: Plan) -> list[str]:
    """A column per step, named in words; a title two steps share gets its step id too."""
    titles = [s.display_title for s in plan.steps]
    return [
        t if titles.count(t) == 1 else f"{t} ({s.id})"
        for t, s in zip(titles, plan.steps, strict=True)
    ]


def _safe(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in Excel (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
