"""What the leaders' dashboard shows each viewer: the same figures as the JSON API.

A CPD lead sees names; other leaders see aggregates and who asked for support;
a trust sees its schools rolled up, never names or words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select

from cpd.db import Db
from cpd.models import Event, HelpRequest, Participant, School
from services import reports
from services.errors import NotFound
from services.schemas import Attention, ImpactSummary, PersonText, StepRate
from services.signin import Viewer

FUNNEL = [
    ("scheduled", "Not started"),
    ("waiting", "Between steps"),
    ("awaiting_answer", "Asked, awaiting answer"),
    ("paused", "Paused"),
    ("completed", "Completed"),
    ("withdrawn", "Withdrawn"),
]


@dataclass(frozen=True)
class SchoolHome:
    school: School | None
    events: list[Event]
    counts: dict[str, int]


async def school_home(db: Db, school_id: str) -> SchoolHome:
    events = await reports.school_events(db, school_id)
    counts = await reports.participant_counts(db, [e.id for e in events])
    return SchoolHome(await db.get(School, school_id), events, counts)


@dataclass(frozen=True)
class EventView:
    event: Event
    total: int
    funnel: list[tuple[str, int]]
    steps: list[StepRate]
    attention: Attention | None  # None for a trust: figures only
    impact: ImpactSummary
    reflections: list[PersonText]
    # Requests for help by where they stand: in_hand, supported, helped, asking_again.
    support: dict[str, int] | None = None


async def event_view(db: Db, who: Viewer, event_id: str) -> EventView:
    """One event as this viewer may see it; another school's (or trust's) is not found."""
    event = await db.get(Event, event_id)
    school = await db.get(School, event.school_id) if event else None
    allowed = event is not None and (
        event.school_id == who.scope
        or (who.role == "trust" and school is not None and school.trust_id == who.scope)
    )
    if event is None or not allowed:
        raise NotFound("No such event.")
    plan = event.plan
    leader_view = who.role != "trust"  # the trust sees figures, never names or words
    rows = await db.read(
        reports.params(event.id, plan),
        census=reports.CENSUS,
        steps=reports.STEP_COUNTS,
        ratings=reports.IMPACT,
        leaders=reports.LEADER_RATINGS,
        names=reports.NAMES,
        reflections=reports.SHARED_REFLECTIONS,
    )
    census = reports.census_from(rows["census"])
    return EventView(
        event=event,
        total=census.total,
        funnel=[(label, census.stages.get(stage, 0)) for stage, label in FUNNEL],
        steps=reports.step_rates_from(rows["steps"], plan),
        attention=reports.attention_from(census, rows["names"]) if leader_view else None,
        impact=reports.impact_from(rows["ratings"], plan, rows["leaders"]),
        # Shared "with my CPD lead": nobody else reads the words.
        reflections=reports.reflections_from(rows["reflections"]) if who.sees_names else [],
        support=await support_counts(db, event.id) if leader_view else None,
    )


async def support_counts(db: Db, event_id: str) -> dict[str, int]:
    """Where the event's requests for help stand, and whether the support given helped."""
    rows = (
        await db.exec(
            select(HelpRequest.status, HelpRequest.helped, func.count())
            .where(HelpRequest.event_id == event_id)
            .group_by(col(HelpRequest.status), col(HelpRequest.helped))
        )
    ).all()
    counts = dict.fromkeys(("open", "in_hand", "supported", "helped", "asking_again"), 0)
    for status, helped, n in rows:
        counts[status] = counts.get(status, 0) + n
        if helped is True:
            counts["helped"] += n
        elif helped is False and status != "supported":
            counts["asking_again"] += n
    return counts


async def trust_rollup(db: Db, trust_id: str) -> list[dict[str, Any]]:
    """Each school of the trust: events, teachers, completed, and who needs support."""
    schools = (
        await db.exec(select(School).where(School.trust_id == trust_id).order_by(col(School.name)))
    ).all()
    out = []
    for school in schools:
        rows = (
            await db.exec(
                select(Participant.stage, Participant.needs_help, func.count())
                .where(Participant.school_id == school.id)
                .group_by(Participant.stage, col(Participant.needs_help))
            )
        ).all()
        events = (
            await db.exec(
                select(func.count()).select_from(Event).where(Event.school_id == school.id)
            )
        ).one()
        out.append(
            {
                "name": school.name,
                "events": events,
                "teachers": sum(n for _, _, n in rows),
                "completed": sum(n for stage, _, n in rows if stage == "completed"),
                "needs_help": sum(n for _, help_, n in rows if help_),
            }
        )
    return out
