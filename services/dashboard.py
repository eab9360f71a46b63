"""What the leaders' dashboard shows each viewer: the same figures as the JSON API.

A CPD lead sees names; other leaders see aggregates and who asked for support;
a trust sees its schools rolled up, never names or words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, func, select

from cpd.db import Db
from cpd.models import Event, HelpRequest, School
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
    """One event as this viewer may see it; another school's is not found. So is any for a
    trust: it reads its schools' events on its own pages (services/trust.py), where a
    figure from fewer than 5 teachers is hidden, as it is not here."""
    event = await db.get(Event, event_id)
    allowed = event is not None and who.role != "trust" and event.school_id == who.scope
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
        practice=reports.PRACTICE_ANSWERS,
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
        impact=reports.impact_from(rows["ratings"], plan, rows["leaders"], rows["practice"]),
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
    return support_from(rows)


def support_from(rows: Sequence[tuple[str, bool | None, int]]) -> dict[str, int]:
    """Requests counted by (status, helped): where they stand, and whether support helped."""
    counts = dict.fromkeys(("open", "in_hand", "supported", "helped", "asking_again"), 0)
    for status, helped, n in rows:
        counts[status] = counts.get(status, 0) + n
        if helped is True:
            counts["helped"] += n
        elif helped is False and status != "supported":
            counts["asking_again"] += n
    return counts
