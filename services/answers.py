"""Where a teacher's answer goes, whichever way it came in (a link or a reply).

The workflow's Update validator decides; this turns its verdict into one of
three outcomes the callers show: recorded, recorded before (a second tap),
or refused with a reason safe to show the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError

from cpd import metrics
from cpd.db import Db
from cpd.i18n import N_
from cpd.models import Answer, Event, Evidence, Participant, UnclearReply
from cpd.plans import Step, StepKind
from cpd.security import LinkError, LinkSigner
from cpd.settings import Settings
from cpd.temporal import WorkflowGone, gone_if_not_found
from services import links
from services.evidence import Upload, forget_file, take_evidence
from workflows.participant import ParticipantWorkflow
from workflows.types import AnswerIn, AnswerReceipt

# Said to the teacher, in their language when the page is rendered (cpd/i18n.py).
REASONS = {
    "NotYetOpen": N_("This question has not been asked yet."),
    "Withdrawn": N_("This follow-through has ended, so there is nothing more to answer."),
    "UnknownStep": N_("This does not match a question in your follow-through."),
}


# An unsubscribe or pause link used after the follow-through ended: nothing more is sent.
ENDED = N_("This follow-through has already ended: you will get no more emails about it.")
TRY_AGAIN = N_("Your answer could not be recorded. Please try again.")


# Said when the workflow did not take the answer in time. Not "nothing was changed": the
# Update may still reach it, and then sending the answer again finds it recorded.
NOT_CONFIRMED = N_(
    "We could not confirm your answer yet: the service is busy. Please send it again in a "
    "minute. If it was recorded meanwhile, the page will say so, and it counts once."
)


class AnswerRefused(Exception):
    def __init__(self, reason: str, invalid: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid = invalid  # the answer itself was wrong, not the moment


class AnswerNotConfirmed(Exception):
    """The workflow did not say within the wait whether it took the answer; it may yet."""


async def submit_answer(
    client: Client, db: Db, person: Participant, answer: AnswerIn, wait: timedelta
) -> AnswerReceipt:
    # The Update can wait seconds on a busy worker: end the read transaction first, so its
    # connection goes back to the pool meanwhile. Held, a few dozen answers at once took
    # every connection, and every other page waited 30 s for one and failed (bench/load.py).
    await db.commit()
    handle = client.get_workflow_handle_for(ParticipantWorkflow.run, person.workflow_id)
    try:
        with gone_if_not_found():
            return await handle.execute_update(
                ParticipantWorkflow.submit_answer, answer, rpc_timeout=wait
            )
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        # A worker with more waiting than it can take (bench/load.py found these as 500s).
        raise AnswerNotConfirmed() from exc
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == "InvalidAnswer":
            raise AnswerRefused(
                f"That answer was not recorded: {cause.message}.", invalid=True
            ) from exc
        if isinstance(cause, ApplicationError) and cause.type in REASONS:
            raise AnswerRefused(REASONS[cause.type]) from exc
        raise AnswerRefused(TRY_AGAIN) from exc
    except WorkflowGone as exc:
        # The follow-through has finished. A second tap on a question already
        # answered still deserves "we have it", not an error.
        query = select(Answer).where(
            Answer.participant_id == person.id, Answer.step_id == answer.step_id
        )
        earlier = (await db.exec(query)).first()
        if earlier is None:
            raise AnswerRefused(REASONS["Withdrawn"]) from exc
        return AnswerReceipt(
            step_id=answer.step_id, late=earlier.late, duplicate=True, choice=earlier.choice
        )


@dataclass(frozen=True)
class Question:
    """What an answer link asks: of whom, in which event, which step."""

    person: Participant
    event: Event
    step: Step
    # Words of an emailed reply we could not read, offered back with the answer.
    said: str = ""


async def linked(
    db: Db, signer: LinkSigner, token: str, purpose: str
) -> tuple[str, Participant, Event]:
    """The link's step id, teacher and event; a LinkError says why not, for the teacher."""
    claims = await links.verified(db, signer, token, purpose)
    person = await links.holder(db, claims)
    event = await db.get(Event, person.event_id)
    if event is None:
        raise LinkError("This follow-through no longer exists.")
    return claims.step_id, person, event


async def question(db: Db, signer: LinkSigner, token: str) -> Question:
    step_id, person, event = await linked(db, signer, token, "answer")
    step = event.plan.step(step_id)
    if step is None:
        raise LinkError("This link does not match a question.")
    kept = await db.exec(
        select(UnclearReply.text)
        .where(UnclearReply.participant_id == person.id, UnclearReply.step_id == step.id)
        .order_by(col(UnclearReply.id).desc())
    )
    return Question(person, event, step, kept.first() or "")


@dataclass(frozen=True)
class LinkAnswer:
    """What the answer page's form sent."""

    choice: str = ""
    text: str = ""
    # An action plan's parts, by ACTION_PLAN_FIELDS name, as typed.
    plan: dict[str, str] = field(default_factory=dict)
    link: str = ""
    share: bool = False
    upload: Upload | None = None


async def answer_by_link(
    client: Client, settings: Settings, db: Db, asked: Question, form: LinkAnswer
) -> AnswerReceipt:
    """Record the form's answer; evidence is kept only if the workflow accepts it."""
    person, step = asked.person, asked.step
    text = form.text
    fields = {k: " ".join(v.split()) for k, v in form.plan.items() if v.strip()}
    evidence = None
    if step.kind is StepKind.EVIDENCE:
        evidence = take_evidence(settings, db, person, step.id, text, form.link, form.upload)
        # Written before the Update: if the workflow refuses, both are undone below. Not if
        # it did not answer in time (AnswerNotConfirmed): it may yet take this evidence.
        await db.commit()
        text = evidence.note or evidence.link or f"File: {evidence.filename}"
        fields = {"evidence_id": evidence.id, "link": evidence.link}
    if step.kind is StepKind.REFLECTION:
        fields = {"share": "yes" if form.share else "no"}
    answer = AnswerIn(step_id=step.id, choice=form.choice, text=text.strip(), fields=fields)
    try:
        receipt = await submit_answer(client, db, person, answer, settings.answer_wait)
    except AnswerRefused:
        if evidence is not None:
            await _unkeep(settings, db, evidence)
        raise
    if not receipt.duplicate:
        metrics.ANSWERS.labels(channel="link").inc()
    elif evidence is not None:
        # The first answer stands with its own evidence: the page says nothing changed.
        await _unkeep(settings, db, evidence)
    return receipt


async def _unkeep(settings: Settings, db: Db, evidence: Evidence) -> None:
    await db.delete(evidence)
    await db.commit()
    forget_file(settings, evidence)


async def manage_by_link(
    client: Client, db: Db, signer: LinkSigner, token: str, action: str
) -> Event:
    """Pause, resume or stop the teacher's follow-through from the link in their email."""
    _, person, event = await linked(db, signer, token, "pause")
    handle = client.get_workflow_handle_for(ParticipantWorkflow.run, person.workflow_id)
    try:
        with gone_if_not_found():
            if action == "pause":
                await handle.signal(ParticipantWorkflow.pause, "paused by teacher")
            elif action == "resume":
                await handle.signal(ParticipantWorkflow.resume)
            elif action == "opt_out":
                await handle.signal(ParticipantWorkflow.withdraw, "opted_out")
            else:
                raise AnswerRefused(N_("Choose pause, resume or stop."), invalid=True)
    except WorkflowGone as exc:
        raise AnswerRefused(ENDED) from exc
    return event
