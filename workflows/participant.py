"""One teacher's follow-through of one CPD event, for up to a year or more.

Every timer lives here: the workflow sleeps until each step of the plan is
due (moved into the school's open hours), emails it through an activity,
waits for the answer within the step's window with capped reminders, and
marks it missed if none comes. Answers arrive as Updates; pause, resume,
withdrawal and a change of address as Signals; leaders read the timeline by
Query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities import contracts
    from activities.contracts import AnswerRecordIn, ProjectionIn, ReserveIn, StepEmailIn
    from cpd import schedule
    from cpd.calendar import SchoolCalendar
    from cpd.names import PARTICIPANT_WORKFLOW, SA_STAGE
    from cpd.plans import (
        ACTION_PLAN_FIELDS,
        HELP_CHOICES,
        Step,
        StepKind,
        action_plan_sentence,
        choices_for,
    )
    from workflows.types import (
        AnswerIn,
        AnswerReceipt,
        AnswerView,
        ParticipantInput,
        ParticipantOutcome,
        ParticipantState,
        Stage,
        StepRecord,
        Timeline,
    )

# Patch ids: each names one change to the workflow's commands, kept forever.
PATCH_PROJECT_PAUSES = "project-pauses-2026-11"
PATCH_WALL_CLOCK_SHIFT = "wall-clock-shift-2026-11"
PATCH_LOCAL_DB = "local-db-activities-2026-11"
PATCH_LOCAL_EMAIL = "local-first-email-2026-11"
PATCH_JOINED_LATE = "joined-late-2026-12"
PATCH_SCHOOL_YEAR = "school-year-2026-12"
PATCH_PEER_FOLLOW_UP = "peer-follow-up-2026-12"
PATCH_MAIL_SLOT = "mail-slot-2026-12"
PATCH_SEND_IN_OPEN_HOURS = "send-in-open-hours-2026-12"
# Every patch above, decided once in a run's first workflow task. A patch first asked for
# later, in the task after a local activity, could be judged "not taken" when the history
# was replayed (its marker is only announced with the task that holds it, while the local
# activity's result is replayed with the one before): a run that paused before its first
# step then failed every task with a nondeterminism error. Runs started before this patch
# keep asking for each patch where they always did.
PATCH_DECIDED_AT_START = "patches-decided-at-start-2026-12"

# A "planned" peer observation is nudged once, this many open days after the answer.
FOLLOW_UP_OPEN_DAYS = 5

# Routine steps that give way when a holiday makes the next step due the same day.
SKIPPABLE = schedule.SKIPPABLE

EMAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    non_retryable_error_types=["PermanentSmtpError"],
)
# A send that keeps failing is retried in this many of the school's open windows (a
# school week), then gives up: the run fails, as a send failing for two days did before.
SEND_WINDOWS = 5
# A local send gets one try; on failure an ordinary activity takes over (see _send).
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
DB_TIMEOUT = timedelta(seconds=30)
SLOT_TIMEOUT = timedelta(seconds=10)

In = TypeVar("In")
Out = TypeVar("Out")


@workflow.defn(name=PARTICIPANT_WORKFLOW)
class ParticipantWorkflow:
    @workflow.init
    def __init__(self, input: ParticipantInput) -> None:
        self._in = input
        self._st = input.state or ParticipantState(email=input.email)
        for step in input.plan.steps:
            self._st.records.setdefault(step.id, StepRecord(step_id=step.id, kind=step.kind))
        self._stage: Stage = "scheduled"
        self._projected: tuple[Step | None, datetime | None] = (None, None)
        self._sending: str | None = None
        # Decided at the start of run(): see the patch ids above.
        self._all_patched = False
        self._wall_clock_shift = False
        self._local_db = False
        self._local_email = False
        # The school changed its calendar while this slept (services/triggers.py tells it).
        self._calendar_changed = False

    @workflow.run
    async def run(self, input: ParticipantInput) -> ParticipantOutcome:
        self._all_patched = workflow.patched(PATCH_DECIDED_AT_START)
        self._wall_clock_shift = self._patched(PATCH_WALL_CLOCK_SHIFT)
        self._local_db = self._patched(PATCH_LOCAL_DB)
        self._local_email = self._patched(PATCH_LOCAL_EMAIL)
        if input.state is None and self._patched(PATCH_JOINED_LATE):
            self._st.joined_at = workflow.now()
        steps = input.plan.steps
        support = asyncio.ensure_future(self._support_loop())
        while self._st.next_index < len(steps) and not self._withdrawn:
            step = steps[self._st.next_index]
            if self._before_joining(step):
                # Triggered late, or added weeks after the event: the plan is joined where
                # it stands, not caught up on in a burst of stale cues and check-ins.
                self._st.records[step.id].status = "before_joined"
                self._st.next_index += 1
                continue
            self._set_stage("waiting")
            await self._project(step)
            if not await self._sleep_until_open(lambda s=step: self._due(s)):  # type: ignore[misc]
                break
            following = (
                steps[self._st.next_index + 1] if self._st.next_index + 1 < len(steps) else None
            )
            if following is not None and step.kind in SKIPPABLE and self._overtaken_by(following):
                # Both fell in the same holiday: a routine cue or check-in gives way to the
                # next step rather than pile up on the first day back (six weekly check-ins
                # after the summer, say). Plans, evidence and impact checks are never skipped.
                self._st.records[step.id].status = "skipped"
            else:
                await self._run_step(step, following)
            self._st.next_index += 1
            if self._history_is_long():
                await self._drain(support)
                workflow.continue_as_new(input.model_copy(update={"state": self._st}))
        self._set_stage("withdrawn" if self._withdrawn else "completed")
        await self._project(None)
        await self._drain(support)
        records = self._st.records.values()
        return ParticipantOutcome(
            stage=self._stage,
            answered=sum(r.status == "answered" for r in records),
            missed=sum(r.status == "missed" for r in records),
        )

    # ---- one step -------------------------------------------------------

    async def _run_step(self, step: Step, following: Step | None) -> None:
        rec = self._st.records[step.id]
        rec.due_at = self._due(step)
        # Answers are taken from the moment the email may have arrived, not only once
        # the send is recorded: a quick teacher must not be told "not asked yet".
        self._sending = step.id
        await self._send(step, "initial")
        self._sending = None
        if rec.status == "upcoming":
            rec.status = "sent"
        rec.sent_at = workflow.now()
        rec.shift_at_send = self._st.shift_seconds
        self._st.not_before = self._next_open_day()
        if not step.expects_answer:
            return
        self._set_stage("awaiting_answer")
        cal = self._cal
        while rec.answer is None and not self._withdrawn:
            # The timing rules are cpd/schedule.py's, shared with the preview.
            after = (
                self._due(following) - self._paused_since_send(rec)
                if following is not None
                else None
            )
            deadline = schedule.answer_deadline(cal, step, rec.sent_at, after)
            target = deadline
            if rec.reminders_sent < step.reminders.max_reminders:
                last = schedule.reminder_at(cal, step, rec.sent_at, rec.reminders_sent)
                target = min(target, last)
            await self._project(step, next_due=target)
            reached = await self._sleep_until_open(
                lambda t=target: t + self._paused_since_send(rec),  # type: ignore[misc]
                stop=lambda: rec.answer is not None,
            )
            if not reached:
                break  # answered or withdrawn
            if target < deadline:
                rec.reminders_sent += 1
                await self._send(step, "reminder", rec.reminders_sent)
            else:
                rec.status = "missed"
                break
        if (
            step.kind is StepKind.PEER_OBSERVATION
            and rec.answer is not None
            and rec.answer.choice == "planned"
            and not rec.answer.late
            and not self._withdrawn
            # The drill in docs/OPERATIONS.md: runs that reached this point before the
            # change replay without the nudge; every run after it takes it.
            and self._patched(PATCH_PEER_FOLLOW_UP)
        ):
            await self._follow_up(step, rec, following)

    async def _follow_up(self, step: Step, rec: StepRecord, following: Step | None) -> None:
        """One nudge a week after "planned", so the observation gets a date. Only if it
        comes before the plan's next step: that email is the next prompt anyway."""
        assert rec.answer is not None
        at = self._cal.add_open_days(rec.answer.answered_at, FOLLOW_UP_OPEN_DAYS)
        if following is not None and at >= self._due(following):
            return
        self._set_stage("waiting")
        await self._project(step, next_due=at)
        since = self._st.shift_seconds
        if await self._sleep_until_open(
            lambda: at + timedelta(seconds=self._st.shift_seconds - since)
        ):
            await self._send(step, "follow_up")

    async def _send(self, step: Step, purpose: str, number: int = 0) -> bool:
        """Send one email within the teacher's weekly budget; False if it was dropped."""
        suffix = f"{purpose}-{number}" if number else purpose
        send_key = f"{workflow.info().workflow_id}:{step.id}:{suffix}"
        while not await self._reserve(send_key):
            if purpose == "reminder":
                return False  # over budget: a reminder is the first thing to give up
            next_week = self._start_of_next_week()
            if not await self._sleep_until_open(lambda t=next_week: t):  # type: ignore[misc]
                return False  # withdrawn while deferred
        email = StepEmailIn(
            send_key=send_key,
            school_id=self._in.school_id,
            participant_id=self._in.participant_id,
            to=self._st.email,
            teacher_name=self._in.teacher_name,
            event_title=self._in.event_title,
            step=step,
            purpose=purpose,  # type: ignore[arg-type]
            reminder_number=number,
            action_plan_text=self._st.action_plan_text,
        )
        # Timeouts are not part of replayed history, so they may change freely.
        send_timeout = timedelta(seconds=self._in.send_timeout_seconds)
        if self._local_email:
            paced = await self._wait_for_mail_slot()
            try:
                await workflow.execute_local_activity(
                    contracts.send_step_email,
                    email.model_copy(update={"sent_at": workflow.now(), "paced": paced}),
                    start_to_close_timeout=send_timeout,
                    retry_policy=ONE_ATTEMPT,
                )
                return True
            except FailureError:
                # The mail server said "not now", or did not answer: hand the send to an
                # ordinary activity, retried for days (in open hours, since the patch).
                # The send key's row tells it what the failed attempt got as far as, so
                # nothing goes twice. (A local activity's failure arrives as the
                # activity's own error, not wrapped in an ActivityError, hence the base
                # class.)
                pass
        if self._patched(PATCH_SEND_IN_OPEN_HOURS):
            return await self._send_in_open_hours(email, send_timeout)
        await workflow.execute_activity(
            contracts.send_step_email,
            email,
            start_to_close_timeout=send_timeout,
            schedule_to_close_timeout=timedelta(days=2),
            retry_policy=EMAIL_RETRY,
        )
        return True

    async def _wait_for_mail_slot(self) -> bool:
        """Wait for the worker's next slot in the mail pace on a timer; whether one was taken.

        Before PATCH_MAIL_SLOT the local send waited for its slot itself, inside the
        workflow task: when a 5,000-person event's first emails queued behind the pace
        (20 a second), thousands of workflow tasks stayed open for over 5 s, each holding
        one of the worker's task slots while it waited. The slot is this worker
        process's: should the timer wake on another worker, the send still counts
        against the pace of the one that reserved it.
        """
        if not self._patched(PATCH_MAIL_SLOT):
            return False
        wait = await workflow.execute_local_activity(
            contracts.reserve_send_slot, start_to_close_timeout=SLOT_TIMEOUT
        )
        if wait > 0:
            await workflow.sleep(wait)
        return True

    async def _send_in_open_hours(self, email: StepEmailIn, send_timeout: timedelta) -> bool:
        """Retry a failing send only while the school is open; False if withdrawn meanwhile.

        An activity's retries follow their backoff, not the calendar: a mail server back
        at 22:00 had the email by 22:30. So each open window gets retries up to its close,
        and the next try waits for the next open slot.
        """
        closes = workflow.now()
        for window in range(1, SEND_WINDOWS + 1):
            # The retries stop a little before the close if the next backoff would pass it:
            # wait for the close too, so the next try is in the next window, not this one.
            if not await self._sleep_until_open(lambda c=closes: c):  # type: ignore[misc]
                return False
            now = workflow.now()
            closes = schedule.window_closes(self._cal, now)
            try:
                await workflow.execute_activity(
                    contracts.send_step_email,
                    email,
                    start_to_close_timeout=send_timeout,
                    schedule_to_close_timeout=max(closes - now, timedelta(seconds=1)),
                    retry_policy=EMAIL_RETRY,
                )
                return True
            except ActivityError as exc:
                # Out of time in this window; anything else fails as it always did.
                if exc.retry_state is not RetryState.TIMEOUT or window == SEND_WINDOWS:
                    raise
        return False

    async def _reserve(self, send_key: str) -> bool:
        grant = await self._db(
            contracts.reserve_email,
            ReserveIn(
                send_key=send_key,
                to=self._st.email,
                at=workflow.now(),
                timezone=self._cal.timezone,
                # An input only: the commands this workflow issues are the same.
                school_id=self._in.school_id,
            ),
        )
        return grant.granted

    async def _db(self, activity: Callable[[In], Awaitable[Out]], arg: In) -> Out:
        """Run one short, idempotent read or write of the app DB.

        Since PATCH_LOCAL_DB these run as local activities: in this worker, within the
        workflow task, recorded as a marker. A participant's first email then costs the
        Temporal server one workflow task and one activity, not four and four, and a
        year's history is half as long. Email follows since PATCH_LOCAL_EMAIL, but only
        for its first try (see _send): a mail server that is down is retried for days,
        and that belongs to an ordinary activity, not to a workflow task.
        """
        if self._local_db:
            return await workflow.execute_local_activity(
                activity, arg, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
            )
        return await workflow.execute_activity(
            activity, arg, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
        )

    def _start_of_next_week(self) -> datetime:
        return schedule.start_of_next_week(self._cal, workflow.now())

    async def _support_loop(self) -> None:
        """Send one extra cue for each "not yet" / "need help" answer, in open hours."""
        while True:
            await workflow.wait_condition(lambda: bool(self._st.pending_support))
            step = self._in.plan.step(self._st.pending_support[0])
            if step is not None and await self._sleep_until_open(workflow.now):
                await self._send(step, "support")
            self._st.pending_support.pop(0)

    async def _drain(self, support: asyncio.Future[None]) -> None:
        # Finish what is owed before the run ends or continues as new: pending
        # support cues (unless withdrawn) and any answer still being recorded.
        await workflow.wait_condition(lambda: not self._st.pending_support or self._withdrawn)
        support.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)

    # ---- time -----------------------------------------------------------

    # The timing rules live in cpd/schedule.py, where the preview a CPD lead sees before
    # confirming uses them too: one set of rules, so the preview's dates are these.

    def _due(self, step: Step) -> datetime:
        return schedule.due_at(self._planned(step), self._st.not_before)

    def _planned(self, step: Step) -> datetime:
        return schedule.planned_at(
            self._cal,
            self._in.event_date,
            step,
            self._st.shift_seconds,
            wall_clock_shift=self._wall_clock_shift,
        )

    def _before_joining(self, step: Step) -> bool:
        joined = self._st.joined_at
        if joined is None:
            return False
        return schedule.before_joining(self._cal, step, self._planned(step), joined)

    def _next_open_day(self) -> datetime:
        return schedule.next_open_day(self._cal, workflow.now())

    def _overtaken_by(self, following: Step) -> bool:
        return schedule.overtaken(self._cal, self._due(following), workflow.now())

    def _paused_since_send(self, rec: StepRecord) -> timedelta:
        return timedelta(seconds=self._st.shift_seconds - rec.shift_at_send)

    async def _sleep_until_open(
        self, when: Callable[[], datetime], stop: Callable[[], bool] = lambda: False
    ) -> bool:
        """Sleep until ``when()`` and a moment the school is open, by its latest calendar.

        The calendar is re-read on waking: holidays entered after the trigger
        (next year's term dates, a snow day) still hold back a send.
        """
        while True:
            if not await self._sleep_until(
                lambda: self._cal.next_open_slot(max(when(), workflow.now())), stop
            ):
                return False
            await self._refresh_calendar()
            now = workflow.now()
            if when() <= now and self._cal.next_open_slot(now) == now:
                return True

    async def _refresh_calendar(self) -> None:
        if self._patched(PATCH_SCHOOL_YEAR):
            # With the bank holidays and estimated holidays of the school year around now.
            at = contracts.CalendarIn(school_id=self._in.school_id, at=workflow.now())
            latest = await self._db(contracts.school_calendar_at, at)
        else:
            latest = await self._db(contracts.school_calendar, self._in.school_id)
        if latest is not None:
            self._st.calendar = latest

    @property
    def _cal(self) -> SchoolCalendar:
        return self._st.calendar or self._in.calendar

    async def _sleep_until(
        self, when: Callable[[], datetime], stop: Callable[[], bool] = lambda: False
    ) -> bool:
        """Sleep until ``when()``, re-read after each pause. False if withdrawn or ``stop()``."""
        while True:
            if self._withdrawn or stop():
                return False
            if self._st.paused_since is not None:
                previous = self._stage
                self._set_stage("paused")
                # Added after the first histories were recorded: leaders' lists now
                # show a pause as it happens. Older runs replay without these calls.
                tell_leaders = self._patched(PATCH_PROJECT_PAUSES)
                if tell_leaders:
                    await self._project(*self._projected)
                await workflow.wait_condition(
                    lambda: self._st.paused_since is None or self._withdrawn
                )
                self._set_stage(previous)
                if tell_leaders and not self._withdrawn:
                    await self._project(*self._projected)
                continue
            remaining = when() - workflow.now()
            if remaining <= timedelta(0):
                return True
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._withdrawn
                        or stop()
                        or self._st.paused_since is not None
                        or self._calendar_changed
                    ),
                    timeout=remaining,
                )
            except TimeoutError:
                return True
            if self._calendar_changed:
                # Re-plan now with the new calendar, not only on waking: a step that moved
                # earlier goes out on time, and one that moved later never goes early.
                self._calendar_changed = False
                await self._refresh_calendar()

    # ---- answers --------------------------------------------------------

    @workflow.update
    async def submit_answer(self, answer: AnswerIn) -> AnswerReceipt:
        rec = self._st.records[answer.step_id]
        if rec.answer is not None:
            # A double submit or a second tap: the first answer stands.
            return AnswerReceipt(
                step_id=answer.step_id,
                late=rec.answer.late,
                duplicate=True,
                choice=rec.answer.choice,
            )
        late = rec.status == "missed"
        now = workflow.now()
        text = answer.text
        if rec.kind is StepKind.ACTION_PLAN and _complete_plan(answer.fields):
            text = action_plan_sentence(answer.fields)
        rec.answer = AnswerView(
            choice=answer.choice, text=text, fields=answer.fields, answered_at=now, late=late
        )
        if not late:
            rec.status = "answered"
        if rec.kind is StepKind.ACTION_PLAN and text:
            self._st.action_plan_text = text
        help_wanted = answer.choice in HELP_CHOICES and not late
        if help_wanted:
            # Set before the answer is recorded: the answer has already woken the main loop,
            # whose next projection must carry the flag (it may be weeks until another).
            # State only: the commands are the same as before.
            self._st.needs_help = True
        await self._db(
            contracts.record_answer,
            AnswerRecordIn(
                participant_id=self._in.participant_id,
                school_id=self._in.school_id,
                step_id=answer.step_id,
                choice=answer.choice,
                text=text,
                fields=answer.fields,
                late=late,
                answered_at=now,
            ),
        )
        if help_wanted:
            # The extra cue goes out from the support loop, in open hours, not from here:
            # the teacher's page should not wait, and nothing is sent at night.
            self._st.pending_support.append(answer.step_id)
        return AnswerReceipt(step_id=answer.step_id, late=late, choice=answer.choice)

    @submit_answer.validator
    def _validate_answer(self, answer: AnswerIn) -> None:
        step = self._in.plan.step(answer.step_id)
        if step is None:
            raise ApplicationError(f"unknown step {answer.step_id!r}", type="UnknownStep")
        if self._withdrawn:
            raise ApplicationError("this follow-through has ended", type="Withdrawn")
        rec = self._st.records[answer.step_id]
        if rec.status == "upcoming" and self._sending != answer.step_id:
            raise ApplicationError("this step has not been sent yet", type="NotYetOpen")
        if rec.answer is not None:
            return  # idempotent: accepted, and the handler reports the duplicate
        allowed = choices_for(step.kind)
        if step.kind is StepKind.ACTION_PLAN and answer.fields:
            missing = [
                label
                for k, label in ACTION_PLAN_FIELDS.items()
                if not answer.fields.get(k, "").strip()
            ]
            if missing:
                raise ApplicationError(f"please answer: {'; '.join(missing)}", type="InvalidAnswer")
            return
        if allowed and answer.choice not in allowed:
            raise ApplicationError(f"choose one of: {', '.join(allowed)}", type="InvalidAnswer")
        if not allowed and not answer.text.strip():
            raise ApplicationError("please write a short answer", type="InvalidAnswer")

    # ---- teacher and leader controls -----------------------------------

    @workflow.signal
    def pause(self, reason: str = "") -> None:
        if self._st.paused_since is None and not self._withdrawn:
            self._st.paused_since = workflow.now()
            self._st.pause_reason = reason

    @workflow.signal
    def resume(self) -> None:
        if self._st.paused_since is not None:
            paused_for = workflow.now() - self._st.paused_since
            # Whole minutes, so shifted steps keep tidy send times.
            self._st.shift_seconds += round(paused_for.total_seconds() / 60) * 60
            self._st.paused_since = None

    @workflow.signal
    def withdraw(self, reason: str = "withdrawn") -> None:
        if self._st.withdrawn_reason is None:
            self._st.withdrawn_reason = reason or "withdrawn"

    @workflow.signal
    def change_email(self, email: str) -> None:
        self._st.email = email

    @workflow.signal
    def calendar_changed(self) -> None:
        self._calendar_changed = True

    @workflow.signal
    def support_given(self) -> None:
        # The CPD lead marked the help given (services/support.py): the flag is cleared in the
        # app at once, and here so the next projection keeps it cleared.
        self._st.needs_help = False

    @workflow.signal
    def support_needed(self) -> None:
        # The teacher said the support has not helped yet (services/support.py): the flag is
        # raised in the app at once, and here so the next projection keeps it. State only.
        self._st.needs_help = True

    @workflow.query
    def timeline(self) -> Timeline:
        steps = self._in.plan.steps
        nxt = steps[self._st.next_index] if self._st.next_index < len(steps) else None
        records = []
        for step in steps:
            rec = self._st.records[step.id].model_copy()
            if rec.status == "upcoming" and not self._withdrawn:
                rec.due_at = self._due(step)
            records.append(rec)
        return Timeline(
            participant_id=self._in.participant_id,
            stage=self._stage,
            paused=self._st.paused_since is not None,
            withdrawn=self._withdrawn,
            needs_help=self._st.needs_help,
            steps=records,
            next_step_id=nxt.id if nxt and not self._withdrawn else None,
            next_due_at=self._due(nxt) if nxt and not self._withdrawn else None,
        )

    # ---- helpers --------------------------------------------------------

    def _patched(self, patch_id: str) -> bool:
        """Whether this run takes ``patch_id`` (see PATCH_DECIDED_AT_START)."""
        return self._all_patched or workflow.patched(patch_id)

    @property
    def _withdrawn(self) -> bool:
        return self._st.withdrawn_reason is not None

    def _set_stage(self, stage: Stage) -> None:
        if stage != self._stage:
            self._stage = stage
            workflow.upsert_search_attributes([SA_STAGE.value_set(stage)])

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._in.continue_after_events
        )

    async def _project(self, step: Step | None, next_due: datetime | None = None) -> None:
        self._projected = (step, next_due)
        paused = self._st.paused_since is not None
        await self._db(
            contracts.project_participant,
            ProjectionIn(
                participant_id=self._in.participant_id,
                stage=self._stage,
                current_step_id=step.id if step else None,
                next_due_at=None if paused else next_due or (self._due(step) if step else None),
                needs_help=self._st.needs_help,
                missed=sum(r.status == "missed" for r in self._st.records.values()),
                paused=paused,
            ),
        )


def _complete_plan(fields: dict[str, str]) -> bool:
    return all(fields.get(k, "").strip() for k in ACTION_PLAN_FIELDS)
