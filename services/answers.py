"""Hand a teacher's answer to their workflow, whichever way it came in (link or reply).

The workflow's Update validator decides; this turns its verdict into one of
three outcomes the callers show: recorded, recorded before (a second tap),
or refused with a reason safe to show the teacher.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cpd.models import Answer, Participant
from workflows.participant import ParticipantWorkflow
from workflows.types import AnswerIn, AnswerReceipt

REASONS = {
    "NotYetOpen": "This question has not been asked yet.",
    "Withdrawn": "This follow-through has ended, so there is nothing more to answer.",
    "UnknownStep": "This does not match a question in your follow-through.",
}


class AnswerRefused(Exception):
    def __init__(self, reason: str, invalid: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid = invalid  # the answer itself was wrong, not the moment


async def submit_answer(
    client: Client, session: AsyncSession, person: Participant, answer: AnswerIn
) -> AnswerReceipt:
    handle = client.get_workflow_handle_for(ParticipantWorkflow.run, person.workflow_id)
    try:
        return await handle.execute_update(ParticipantWorkflow.submit_answer, answer)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == "InvalidAnswer":
            raise AnswerRefused(
                f"That answer was not recorded: {cause.message}.", invalid=True
            ) from exc
        if isinstance(cause, ApplicationError) and cause.type in REASONS:
            raise AnswerRefused(REASONS[cause.type]) from exc
        raise AnswerRefused("Your answer could not be recorded. Please try again.") from exc
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        # The follow-through has finished. A second tap on a question already
        # answered still deserves "we have it", not an error.
        query = select(Answer).where(
            Answer.participant_id == person.id, Answer.step_id == answer.step_id
        )
        earlier = (await session.exec(query)).first()
        if earlier is None:
            raise AnswerRefused(REASONS["Withdrawn"]) from exc
        return AnswerReceipt(step_id=answer.step_id, late=earlier.late, duplicate=True)
