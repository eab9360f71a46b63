"""Leaders' figures, computed in the database from the projection.

Nothing here asks Temporal: an event of thousands of teachers is summarised
by a few grouped queries over indexed rows, so it stays fast.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.schemas import (
    Attention,
    AttentionList,
    ImpactCheckpoint,
    ImpactSummary,
    PersonRef,
    PersonText,
    StepRate,
)
from cpd.models import Answer, Participant, StepCount
from cpd.plans import IMPACT_CHOICES, Plan, StepKind

ATTENTION_NAMES = 50  # per list in a status: a leader acts on names, not on thousands of rows


async def participant_counts(session: AsyncSession, event_ids: list[str]) -> dict[str, int]:
    """People per event, for many events in one grouped query."""
    rows = await session.exec(
        select(Participant.event_id, func.count())
        .where(col(Participant.event_id).in_(event_ids))
        .group_by(Participant.event_id)
    )
    return dict(rows.all())


async def stage_counts(session: AsyncSession, event_id: str) -> dict[str, int]:
    rows = await session.exec(
        select(Participant.stage, func.count())
        .where(Participant.event_id == event_id)
        .group_by(Participant.stage)
    )
    return {stage: count for stage, count in rows.all()}


async def step_rates(session: AsyncSession, event_id: str, plan: Plan) -> list[StepRate]:
    # Running totals kept by the activities that send and record (cpd/counters.py).
    counts = {
        c.step_id: c
        for c in (await session.exec(select(StepCount).where(StepCount.event_id == event_id))).all()
    }
    rates = []
    for step in plan.steps:
        c = counts.get(step.id) or StepCount(event_id=event_id, step_id=step.id)
        rates.append(
            StepRate(
                step_id=step.id,
                kind=step.kind,
                sent=c.sent,
                answered=c.answered,
                late=c.late,
                response_rate=round(c.answered / c.sent, 3) if c.sent else None,
            )
        )
    return rates


def attention_filter(kind: str) -> list[ColumnElement[bool]]:
    """Who is in each of a leader's attention lists."""
    filters: dict[str, list[ColumnElement[bool]]] = {
        "needs_help": [col(Participant.needs_help).is_(True)],
        "overdue": [
            col(Participant.missed_count) > 0,
            col(Participant.stage) != "withdrawn",
            col(Participant.email_bounced).is_(False),  # listed as bounced instead
        ],
        "bounced": [col(Participant.email_bounced).is_(True)],
        "paused": [col(Participant.paused).is_(True)],
        "withdrawn": [col(Participant.stage) == "withdrawn"],
    }
    return filters[kind]


async def attention(session: AsyncSession, event_id: str) -> Attention:
    """Who a leader should look at: a count per list and the first few names of each."""
    kinds = list(Attention.model_fields)
    # One pass over the event for all the counts (COUNT ... FILTER, SQLite and PostgreSQL).
    query = select(*(func.count().filter(and_(*attention_filter(k))) for k in kinds))
    row = (await session.exec(query.where(col(Participant.event_id) == event_id))).one()
    counts = [int(n) for n in row]  # type: ignore[attr-defined]  # sqlmodel types a one-column row
    lists = {}
    for kind, count in zip(kinds, counts, strict=True):
        people: list[PersonRef] = []
        if count:
            rows = await session.exec(
                select(Participant.id, Participant.name)
                .where(Participant.event_id == event_id, *attention_filter(kind))
                .order_by(col(Participant.name))
                .limit(ATTENTION_NAMES)
            )
            people = [PersonRef(id=pid, name=name) for pid, name in rows.all()]
        lists[kind] = AttentionList(count=count, people=people)
    return Attention(**lists)


async def impact(session: AsyncSession, event_id: str, plan: Plan) -> ImpactSummary:
    """Ratings 1-5 for each impact check, by Guskey level and checkpoint month."""
    checks = [s for s in plan.steps if s.kind in (StepKind.IMPACT_CHECK, StepKind.LEADER_CHECK)]
    rows = await session.exec(
        select(Answer.step_id, Answer.choice, func.count())
        .where(
            Answer.event_id == event_id,
            col(Answer.step_id).in_([s.id for s in checks]),
        )
        .group_by(Answer.step_id, Answer.choice)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for step_id, choice, count in rows.all():
        if choice in IMPACT_CHOICES:
            counts[step_id][choice] = count
    checkpoints = []
    for step in checks:
        distribution = {c: counts[step.id].get(c, 0) for c in IMPACT_CHOICES}
        n = sum(distribution.values())
        mean = sum(int(c) * k for c, k in distribution.items()) / n if n else None
        checkpoints.append(
            ImpactCheckpoint(
                step_id=step.id,
                guskey_level=step.guskey_level or 3,
                month=round(step.offset_days / 30.4),
                responses=n,
                distribution=distribution,
                mean=round(mean, 2) if mean is not None else None,
            )
        )
    # Change over time: each level's mean at each checkpoint, against the first one.
    by_level: dict[int, list[ImpactCheckpoint]] = defaultdict(list)
    for cp in checkpoints:
        by_level[cp.guskey_level].append(cp)
    for series in by_level.values():
        first = next((cp.mean for cp in series if cp.mean is not None), None)
        for cp in series:
            if first is not None and cp.mean is not None:
                cp.change_from_first = round(cp.mean - first, 2)
    return ImpactSummary(checkpoints=checkpoints)


async def shared_reflections(session: AsyncSession, event_id: str, plan: Plan) -> list[PersonText]:
    """Reflections their authors chose to share, newest first; private ones never leave."""
    steps = [s.id for s in plan.steps if s.kind is StepKind.REFLECTION]
    rows = await session.exec(
        select(Participant.name, Answer.text)
        .join(Answer, col(Answer.participant_id) == col(Participant.id))
        .where(
            Participant.event_id == event_id,
            col(Answer.step_id).in_(steps),
            col(Answer.shared).is_(True),
        )
        .order_by(col(Answer.answered_at).desc())
        .limit(ATTENTION_NAMES)
    )
    return [PersonText(name=name, text=text) for name, text in rows.all()]
