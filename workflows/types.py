"""Inputs, state and results of the participant workflow.

Fields are only ever added with defaults: running year-long histories hold
payloads of the older shape and must still decode.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from cpd.calendar import SchoolCalendar
from cpd.plans import Plan, StepKind

# before_joined: a cue or check-in whose day had passed when the teacher's follow-through
# began (triggered late, or added later); never sent.
StepStatus = Literal["upcoming", "sent", "answered", "missed", "skipped", "before_joined"]
Stage = Literal["scheduled", "waiting", "awaiting_answer", "paused", "completed", "withdrawn"]


class AnswerView(BaseModel):
    choice: str = ""
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict)
    answered_at: datetime
    late: bool = False


class StepRecord(BaseModel):
    step_id: str
    kind: StepKind
    status: StepStatus = "upcoming"
    due_at: datetime | None = None
    sent_at: datetime | None = None
    reminders_sent: int = 0
    answer: AnswerView | None = None
    # Paused time accumulated when this step was sent: shifts its own deadline.
    shift_at_send: float = 0.0


class ParticipantState(BaseModel):
    next_index: int = 0
    email: str
    records: dict[str, StepRecord] = Field(default_factory=dict)
    paused_since: datetime | None = None
    pause_reason: str = ""
    shift_seconds: float = 0.0
    withdrawn_reason: str | None = None
    needs_help: bool = False
    action_plan_text: str = ""
    # Steps answered "not yet" / "need help" whose extra cue is still to send.
    pending_support: list[str] = Field(default_factory=list)
    # No new step before this (the open day after the last one was sent).
    not_before: datetime | None = None
    # The school's calendar as last read; None until the first refresh.
    calendar: SchoolCalendar | None = None
    # When this follow-through began (its first run); None in runs from before it was kept.
    joined_at: datetime | None = None


class ParticipantInput(BaseModel):
    school_id: str
    event_id: str
    participant_id: str
    teacher_name: str
    email: str
    event_title: str
    event_date: date
    plan: Plan
    calendar: SchoolCalendar = Field(default_factory=SchoolCalendar)
    # Continue as new past this many history events; tests lower it to exercise it.
    continue_after_events: int = 5_000
    # How long one send attempt may take before Temporal retries it (after a worker dies).
    send_timeout_seconds: int = 120
    # Carried across continue-as-new; None on the first run.
    state: ParticipantState | None = None


class AnswerIn(BaseModel):
    step_id: str
    choice: str = Field(default="", max_length=40)
    text: str = Field(default="", max_length=5000)
    # Named parts of a structured answer, e.g. an action plan's class and frequency.
    fields: dict[str, Annotated[str, Field(max_length=300)]] = Field(
        default_factory=dict, max_length=8
    )


class AnswerReceipt(BaseModel):
    step_id: str
    late: bool
    duplicate: bool = False
    # The choice that stands: on a duplicate the first answer's, not the one just sent
    # ("" from a worker older than this field: the page then names no choice).
    choice: str = ""


class Timeline(BaseModel):
    participant_id: str
    stage: Stage
    paused: bool
    withdrawn: bool
    needs_help: bool
    steps: list[StepRecord]
    next_step_id: str | None = None
    next_due_at: datetime | None = None


class ParticipantOutcome(BaseModel):
    stage: Stage
    answered: int
    missed: int
