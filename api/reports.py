"""Leaders' figures, computed in the database from the projection.

Nothing here asks Temporal: an event of thousands of teachers is summarised
by a few grouped queries over indexed rows, so it stays fast.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.schemas import (
    Attention,
    ImpactCheckpoint,
    ImpactSummary,
    PersonRef,
    PersonText,
    StepRate,
)
from cpd.models import Answer, EmailSend, Participant
from cpd.plans import IMPACT_CHOICES, Plan, StepKind

ATTENTION_LIMIT = 200  # per list: a leader acts on names, not on thousands of rows


async def stage_counts(session: AsyncSession, event_id: str) -> dict[str, int]:
    rows = await session.exec(
        select(Participant.stage, func.count())
        .where(Participant.event_id == event_id)
        .group_by(Participant.stage)
    )
    return {stage: count for stage, count in rows.all()}


async def step_rates(session: AsyncSession, event_id: str, plan: Plan) -> list[StepRate]:
    people = select(Participant.id).where(Participant.event_id == event_id)
    sent_rows = await session.exec(
        select(EmailSend.step_id, func.count(func.distinct(EmailSend.participant_id)))
        .where(
            col(EmailSend.participant_id).in_(people),
            col(EmailSend.send_key).endswith(":initial"),
            EmailSend.status == "sent",
        )
        .group_by(EmailSend.step_id)
    )
    sent = dict(sent_rows.all())
    answer_rows = await session.exec(
        select(Answer.step_id, Answer.late, func.count())
        .where(col(Answer.participant_id).in_(people))
        .group_by(col(Answer.step_id), col(Answer.late))
    )
    on_time: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for step_id, is_late, count in answer_rows.all():
        (late if is_late else on_time)[step_id] += count
    rates = []
    for step in plan.steps:
        n = sent.get(step.id, 0)
        answered = on_time[step.id] + late[step.id]
        rates.append(
            StepRate(
                step_id=step.id,
                kind=step.kind,
                sent=n,
                answered=answered,
                late=late[step.id],
                response_rate=round(answered / n, 3) if n else None,
            )
        )
    return rates


async def attention(session: AsyncSession, event_id: str) -> Attention:
    """Who a leader should look at: asking for help, overdue, bounced, paused, withdrawn."""

    async def who(*conditions: object) -> list[PersonRef]:
        rows = await session.exec(
            select(Participant.id, Participant.name)
            .where(Participant.event_id == event_id, *conditions)  # type: ignore[arg-type]
            .order_by(col(Participant.name))
            .limit(ATTENTION_LIMIT)
        )
        return [PersonRef(id=pid, name=name) for pid, name in rows.all()]

    return Attention(
        needs_help=await who(col(Participant.needs_help).is_(True)),
        overdue=await who(
            Participant.missed_count > 0,
            Participant.stage != "withdrawn",
            col(Participant.email_bounced).is_(False),  # listed as bounced instead
        ),
        bounced=await who(col(Participant.email_bounced).is_(True)),
        paused=await who(col(Participant.paused).is_(True)),
        withdrawn=await who(Participant.stage == "withdrawn"),
    )


async def impact(session: AsyncSession, event_id: str, plan: Plan) -> ImpactSummary:
    """Ratings 1-5 for each impact check, by Guskey level and checkpoint month."""
    checks = [s for s in plan.steps if s.kind in (StepKind.IMPACT_CHECK, StepKind.LEADER_CHECK)]
    people = select(Participant.id).where(Participant.event_id == event_id)
    rows = await session.exec(
        select(Answer.step_id, Answer.choice, func.count())
        .where(
            col(Answer.participant_id).in_(people),
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
        .limit(ATTENTION_LIMIT)
    )
    return [PersonText(name=name, text=text) for name, text in rows.all()]
