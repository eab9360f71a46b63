"""GDPR erasure of a participant: workflow histories, projections, answers, evidence.

Used when a teacher asks to be forgotten. It removes, for one participant:
every run of their Temporal workflow (terminated if running, then its history
deleted), their projection row, answers, evidence rows and files, the record
of emails sent to them and their email-budget slots. Repeating it is harmless.
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, func, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError

from cpd import census
from cpd.counters import bump
from cpd.db import Db
from cpd.models import (
    Answer,
    EmailBudgetSlot,
    EmailSend,
    Evidence,
    HelpRequest,
    LinkVersion,
    Participant,
    UnclearReply,
)
from cpd.settings import Settings
from cpd.temporal import WorkflowGone, gone_if_not_found
from services.evidence import evidence_store
from services.schemas import Erased


async def erase(client: Client, db: Db, settings: Settings, people: list[Participant]) -> Erased:
    erased = Erased()
    store = evidence_store(settings)
    for person in people:
        erased.workflow_runs += await _delete_histories(client, person.workflow_id)
        evidence = (
            await db.exec(select(Evidence).where(Evidence.participant_id == person.id))
        ).all()
        for item in evidence:
            if item.filename:
                store.delete(item.school_id, item.id)
        erased.evidence += len(evidence)
        await db.run(_uncount, person)
        erased.answers += await _delete(db, Answer, col(Answer.participant_id) == person.id)
        await _delete(db, Evidence, col(Evidence.participant_id) == person.id)
        await _delete(db, LinkVersion, col(LinkVersion.participant_id) == person.id)
        await _delete(db, UnclearReply, col(UnclearReply.participant_id) == person.id)
        await _delete(db, HelpRequest, col(HelpRequest.participant_id) == person.id)
        erased.emails += await _delete(db, EmailSend, col(EmailSend.participant_id) == person.id)
        # Budget slots are keyed by send key, which starts with the workflow id.
        await _delete(
            db,
            EmailBudgetSlot,
            col(EmailBudgetSlot.send_key).startswith(f"{person.workflow_id}:"),
        )
        await db.run(_delete_counted, person)
        erased.participants += 1
    await db.commit()
    return erased


def _uncount(session: Session, person: Participant) -> None:
    """Take this person out of the event's running totals before their rows go."""
    answers = session.exec(select(Answer).where(Answer.participant_id == person.id)).all()
    for a in answers:
        bump(session, a.event_id, a.step_id, answered=-1, late=-int(a.late), choice=a.choice)
    sends = session.exec(
        select(EmailSend).where(
            EmailSend.participant_id == person.id,
            EmailSend.purpose == "initial",
            EmailSend.status == "sent",
        )
    )
    for send in sends.all():
        bump(session, send.event_id, send.step_id, sent=-1)


def _delete_counted(session: Session, person: Participant) -> None:
    with census.kept(session, person.id):
        session.delete(person)


async def _delete(db: Db, model: type, condition: ColumnElement[bool]) -> int:
    result = await db.exec(delete(model).where(condition))
    return int(result.rowcount or 0)


async def _delete_histories(client: Client, workflow_id: str) -> int:
    """Delete every run (continue-as-new makes several) of one workflow."""
    run_ids: set[str | None] = {None}  # the latest run, even before visibility catches up
    with suppress(RPCError):
        run_ids |= {w.run_id async for w in client.list_workflows(f'WorkflowId = "{workflow_id}"')}
    deleted = 0
    for run_id in run_ids:
        request = DeleteWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
        )
        with suppress(WorkflowGone), gone_if_not_found():
            # A running execution is terminated first, then its history removed.
            await client.workflow_service.delete_workflow_execution(request)
            deleted += run_id is not None
    return deleted


async def erase_by_email(
    client: Client, db: Db, settings: Settings, school_id: str, email: str
) -> Erased:
    """One person, by email address, across every event at this school."""
    people = (
        await db.exec(
            select(Participant).where(
                Participant.school_id == school_id,
                func.lower(Participant.email) == email.lower(),
            )
        )
    ).all()
    return await erase(client, db, settings, list(people))
