"""Activity inputs and results: the boundary between workflows and side effects."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from cpd.plans import Step

EmailPurpose = Literal["initial", "reminder", "support"]


class StepEmailIn(BaseModel):
    send_key: str
    school_id: str
    participant_id: str
    to: str
    teacher_name: str
    event_title: str
    step: Step
    purpose: EmailPurpose = "initial"
    reminder_number: int = 0
    action_plan_text: str = ""
    # When the workflow sent it (its clock), for the Date header. Set on the local
    # attempt: a local activity's scheduled time is the worker's wall clock, which the
    # time-skipping server does not move. None: the activity's own scheduled time.
    sent_at: datetime | None = None


class SendResult(BaseModel):
    message_id: str
    status: Literal["sent", "bounced", "already_sent"]


class ProjectionIn(BaseModel):
    participant_id: str
    stage: str
    current_step_id: str | None = None
    next_due_at: datetime | None = None
    needs_help: bool = False
    missed: int = 0
    paused: bool = False


class AnswerRecordIn(BaseModel):
    participant_id: str
    school_id: str
    step_id: str
    choice: str
    text: str
    fields: dict[str, str] = {}
    late: bool
    answered_at: datetime
