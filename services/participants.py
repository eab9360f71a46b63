"""Leaders' controls over one participant: live timeline, pause, resume, remove, new email."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from cpd import revocation
from cpd.db import Db
from cpd.models import Answer, Event, Participant
from cpd.plans import Plan
from cpd.privacy import shared_with_lead
from cpd.temporal import WorkflowGone, gone_if_not_found
from services.errors import Conflict
from services.schemas import AnswerOut, ParticipantDetail, ParticipantStatus
from workflows.participant import ParticipantWorkflow
from workflows.types import ParticipantOutcome, Timeline


def _handle(
    client: Client, p: Participant
) -> WorkflowHandle[ParticipantWorkflow, ParticipantOutcome]:
    return client.get_workflow_handle_for(ParticipantWorkflow.run, p.workflow_id)


async def _signal(client: Client, p: Participant, signal: Any, *args: Any) -> None:
    try:
        with gone_if_not_found():
            await _handle(client, p).signal(signal, *args)
    except WorkflowGone as exc:
        if p.stage == "scheduled":  # its event's fan-out has not reached it yet
            raise Conflict(
                "This follow-through is still being started: try again in a minute.",
                code="starting",
            ) from exc
        raise Conflict("This follow-through has already ended.", code="ended") from exc


async def detail(client: Client, db: Db, p: Participant) -> ParticipantDetail:
    """One participant's answers and live timeline (a workflow Query)."""
    answers = (await db.exec(select(Answer).where(Answer.participant_id == p.id))).all()
    timeline = await live_timeline(client, p)
    event = await db.get(Event, p.event_id)
    plan = Plan.model_validate_json(event.plan_json) if event else None
    return ParticipantDetail(
        participant=ParticipantStatus.of(p, [AnswerOut.of(a) for a in answers]),
        timeline=redacted(timeline) if timeline else None,
        step_titles={step.id: step.display_title for step in plan.steps} if plan else {},
    )


async def live_timeline(client: Client, p: Participant) -> Timeline | None:
    """The workflow's own timeline, unredacted: for the teacher's data export, or to
    redact before the school sees it."""
    try:
        return await _handle(client, p).query(ParticipantWorkflow.timeline)
    except RPCError:
        return None  # not started yet, or Temporal unreachable: the projection still answers


def redacted(timeline: Timeline) -> Timeline:
    """The live timeline as the school may see it: a private answer's words removed."""
    steps = []
    for rec in timeline.steps:
        if rec.answer is not None and not shared_with_lead(rec.kind, rec.answer.fields):
            rec = rec.model_copy(update={"answer": rec.answer.model_copy(update={"text": ""})})
        steps.append(rec)
    return timeline.model_copy(update={"steps": steps})


async def pause(client: Client, db: Db, p: Participant, reason: str) -> ParticipantDetail:
    await _signal(client, p, ParticipantWorkflow.pause, reason or "paused by school")
    return await detail(client, db, p)


async def resume(client: Client, db: Db, p: Participant) -> ParticipantDetail:
    await _signal(client, p, ParticipantWorkflow.resume)
    return await detail(client, db, p)


async def remove(client: Client, db: Db, p: Participant) -> ParticipantDetail:
    """Withdraw one person: their follow-through ends and nothing more is sent."""
    with suppress(Conflict):  # already ended: removing is done either way
        await _signal(client, p, ParticipantWorkflow.withdraw, "removed")
    return await detail(client, db, p)


async def change_email(client: Client, db: Db, p: Participant, email: str) -> ParticipantDetail:
    """Send the rest of this follow-through to a new address."""
    p.email = email
    db.add(p)
    try:
        await db.flush()
    except IntegrityError as exc:
        raise Conflict("Someone else in this event has that email.") from exc
    # Whoever held the old address keeps no working link (answers, portfolio, unsubscribe).
    await db.run(revocation.bump, p.id)
    # Signal before committing: if the workflow has ended, nothing changes.
    await _signal(client, p, ParticipantWorkflow.change_email, email)
    await db.commit()
    return await detail(client, db, p)
