"""The activities as workflows see them: each one's name, input and result.

Workflows import this module and nothing else of activities/: a stub below is how a
workflow calls an activity (its name is the one in every recorded history), and the
classes beside this file implement it under the same name. Fields are only ever added
with defaults: running histories hold payloads of the older shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from temporalio import activity

from cpd.calendar import SchoolCalendar
from cpd.plans import Step

EmailPurpose = Literal["initial", "reminder", "support", "follow_up"]


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
    # Its slot in the worker's mail pace was reserved (reserve_send_slot) and waited for.
    paced: bool = False


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


class ReserveIn(BaseModel):
    send_key: str
    to: str
    at: datetime
    timezone: str
    school_id: str = ""  # the budget is the teacher's at this school


class ReserveOut(BaseModel):
    granted: bool
    used: int
    per_week: int


class CalendarIn(BaseModel):
    school_id: str
    at: datetime  # the workflow's now: the school year is looked up around it


class FanoutPageIn(BaseModel):
    event_id: str
    # Set instead of an event: every follow-through still running at the school (a
    # calendar change reaches all of them).
    school_id: str = ""
    batch: int | None = None  # None: every participant of the event
    reason: str = ""
    after_participant_id: str = ""
    page_size: int = 500
    position: int = 0  # how many of the event's participants came before this page
    begun_at: datetime | None = None  # when the fan-out began (pacing is measured from it)


class FanoutPageOut(BaseModel):
    done: int  # started, or withdrawn
    skipped: int  # already running, or already ended
    next_cursor: str | None


# The stubs: never run (the worker registers the implementations under these names).


@activity.defn(name="send_step_email")
async def send_step_email(inp: StepEmailIn) -> SendResult:
    """Render and send one step's email, exactly once per send key (activities/email.py)."""
    raise NotImplementedError


@activity.defn(name="reserve_send_slot")
async def reserve_send_slot() -> float:
    """The next slot in this worker's mail pace: seconds to wait for it (activities/email.py)."""
    raise NotImplementedError


@activity.defn(name="reserve_email")
async def reserve_email(inp: ReserveIn) -> ReserveOut:
    """A slot in the teacher's weekly email budget (activities/budget.py)."""
    raise NotImplementedError


@activity.defn(name="project_participant")
async def project_participant(inp: ProjectionIn) -> None:
    """The participant's state into the app DB, for leaders (activities/records.py)."""
    raise NotImplementedError


@activity.defn(name="record_answer")
async def record_answer(inp: AnswerRecordIn) -> None:
    """An accepted answer into the app DB (activities/records.py)."""
    raise NotImplementedError


@activity.defn(name="school_calendar")
async def school_calendar(school_id: str) -> SchoolCalendar | None:
    """The school's calendar as it is now (activities/records.py)."""
    raise NotImplementedError


@activity.defn(name="school_calendar_at")
async def school_calendar_at(inp: CalendarIn) -> SchoolCalendar | None:
    """The school's calendar as it is now, with the school year it did not type in
    (bank holidays, estimated holidays) around the workflow's time (activities/records.py)."""
    raise NotImplementedError


@activity.defn(name="start_participant_page")
async def start_participant_page(inp: FanoutPageIn) -> FanoutPageOut:
    """Start a page of an event's participants (activities/fanout.py)."""
    raise NotImplementedError


@activity.defn(name="withdraw_participant_page")
async def withdraw_participant_page(inp: FanoutPageIn) -> FanoutPageOut:
    raise NotImplementedError


@activity.defn(name="pause_participant_page")
async def pause_participant_page(inp: FanoutPageIn) -> FanoutPageOut:
    raise NotImplementedError


@activity.defn(name="recalendar_participant_page")
async def recalendar_participant_page(inp: FanoutPageIn) -> FanoutPageOut:
    """Tell a page of an event's participants that the school's calendar changed."""
    raise NotImplementedError


@activity.defn(name="resume_participant_page")
async def resume_participant_page(inp: FanoutPageIn) -> FanoutPageOut:
    raise NotImplementedError
