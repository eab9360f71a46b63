"""When a follow-through's emails go: the participant workflow's timing rules as pure
functions, and a forecast of a whole plan made by the same rules.

The workflow (workflows/participant.py) calls these for every due time it computes; the
preview a CPD lead sees before confirming (services/preview.py) calls ``forecast``, which
walks the plan the way the workflow's loop does. One set of rules, so the preview's dates
are the dates the workflow then uses (tests/workflows/test_preview_dates.py checks a year).

What a forecast cannot know is left out and said so: answers (a reminder goes only if the
teacher has not answered), pauses, a later change to the calendar, and emails the teacher
gets from other follow-throughs, which share the weekly budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from cpd.calendar import SchoolCalendar
from cpd.plans import Plan, Step, StepKind

# Routine steps that give way when a holiday makes the next step due the same day.
SKIPPABLE = frozenset({StepKind.CUE, StepKind.PRACTICE_CHECKIN})


def planned_at(
    cal: SchoolCalendar,
    event_date: date,
    step: Step,
    shift_seconds: float = 0.0,
    wall_clock_shift: bool = True,
) -> datetime:
    """When the plan puts ``step``, in the school's open hours, before any day's limit."""
    day = event_date + timedelta(days=step.offset_days)
    shift = timedelta(seconds=shift_seconds)
    if wall_clock_shift:
        # A pause moves the school's wall clock, so 08:00 stays 08:00 across DST.
        wall = datetime.combine(day, step.send_time) + shift
        nominal = cal.at_local(wall.date(), wall.time())
    else:
        nominal = cal.at_local(day, step.send_time) + shift
    return cal.next_open_slot(nominal)


def due_at(planned: datetime, not_before: datetime | None) -> datetime:
    # At most one new step a day: one held back by a holiday goes the day after.
    return max(planned, not_before) if not_before is not None else planned


def before_joining(cal: SchoolCalendar, step: Step, planned: datetime, joined: datetime) -> bool:
    """A routine cue or check-in planned for a day before this follow-through began."""
    if step.kind not in SKIPPABLE:
        return False
    zone = cal.zone
    return planned.astimezone(zone).date() < joined.astimezone(zone).date()


def overtaken(cal: SchoolCalendar, following_due: datetime, now: datetime) -> bool:
    """True if the next step is due today too (or already), after a holiday."""
    zone = cal.zone
    return following_due.astimezone(zone).date() <= now.astimezone(zone).date()


def next_open_day(cal: SchoolCalendar, now: datetime) -> datetime:
    tomorrow = now.astimezone(cal.zone).date() + timedelta(days=1)
    return cal.next_open_slot(cal.at_local(tomorrow, time(0, 0)))


def window_closes(cal: SchoolCalendar, now: datetime) -> datetime:
    """When the send window ``now`` falls in closes (the school's local day)."""
    return cal.at_local(now.astimezone(cal.zone).date(), cal.send_window_end)


def start_of_next_week(cal: SchoolCalendar, now: datetime) -> datetime:
    today = now.astimezone(cal.zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return cal.next_open_slot(cal.at_local(monday, time(0, 0)))


def answer_deadline(
    cal: SchoolCalendar, step: Step, sent_at: datetime, following_due: datetime | None
) -> datetime:
    deadline = cal.add_open_days(sent_at, step.answer_window_working_days)
    if following_due is not None:
        # A step's window closes when the next step is due at the latest:
        # the plan keeps its rhythm and one teacher never has two chasers open.
        deadline = min(deadline, following_due)
    return deadline


def reminder_at(cal: SchoolCalendar, step: Step, sent_at: datetime, sent_before: int) -> datetime:
    """When the next reminder is due, ``sent_before`` reminders after the step's email."""
    return cal.add_open_days(sent_at, step.reminders.every_working_days * (sent_before + 1))


# ---- a forecast of the whole plan ---------------------------------------------------


@dataclass
class ForecastStep:
    step: Step
    # send: its email goes at ``send_at``; skipped: a routine step overtaken by the next
    # after a holiday; before_joined: a cue or check-in whose day had passed at the start.
    status: Literal["send", "skipped", "before_joined"]
    send_at: datetime | None = None
    # Reminders, each only if the teacher has not answered by then.
    reminders: list[datetime] = field(default_factory=list)
    # When the step counts as missed if unanswered.
    closes_at: datetime | None = None
    # Sent in a later week than planned: the weekly budget was full.
    deferred: bool = False


class _Clock:
    """The workflow's clock and calendar as the forecast walks the plan."""

    def __init__(self, cal: SchoolCalendar, now: datetime, refresh: CalendarAt) -> None:
        self.cal, self.now, self._refresh = cal, now, refresh

    def sleep_until_open(self, when: Callable[[], datetime]) -> None:
        # As ParticipantWorkflow._sleep_until_open: sleep, re-read the calendar on waking,
        # and sleep again if the new calendar moves the moment.
        while True:
            self.now = max(self.now, self.cal.next_open_slot(max(when(), self.now)))
            self.cal = self._refresh(self.now)
            if when() <= self.now and self.cal.next_open_slot(self.now) == self.now:
                return


CalendarAt = Callable[[datetime], SchoolCalendar]


def forecast(
    plan: Plan,
    event_date: date,
    cal: SchoolCalendar,
    now: datetime,
    calendar_at: CalendarAt | None = None,
    per_week: int = 0,
) -> list[ForecastStep]:
    """Every step of ``plan`` for a teacher who starts now and never answers or pauses.

    ``cal`` is the calendar the follow-through starts with; ``calendar_at(t)`` the one it
    re-reads on waking at ``t`` (the same, if not given). ``per_week``: the weekly email
    budget, counted here over this follow-through's own emails only (0: no budget).
    """
    clock = _Clock(cal, now, calendar_at or (lambda _t: cal))
    joined = now
    not_before: datetime | None = None
    week_used: Counter[date] = Counter()
    out: list[ForecastStep] = []
    steps = plan.steps

    def due(step: Step) -> datetime:
        return due_at(planned_at(clock.cal, event_date, step), not_before)

    def reserve() -> bool:
        today = clock.now.astimezone(clock.cal.zone).date()
        week = today - timedelta(days=today.weekday())
        if per_week and week_used[week] >= per_week:
            return False
        week_used[week] += 1
        return True

    for i, step in enumerate(steps):
        if before_joining(clock.cal, step, planned_at(clock.cal, event_date, step), joined):
            out.append(ForecastStep(step, "before_joined"))
            continue
        clock.sleep_until_open(lambda s=step: due(s))  # type: ignore[misc]
        following = steps[i + 1] if i + 1 < len(steps) else None
        # Both fell in the same holiday: a routine cue or check-in gives way to the next.
        skippable = following is not None and step.kind in SKIPPABLE
        if skippable and overtaken(clock.cal, due(following), clock.now):  # type: ignore[arg-type]
            out.append(ForecastStep(step, "skipped"))
            continue
        ready_at = clock.now
        while not reserve():
            nxt = start_of_next_week(clock.cal, clock.now)
            clock.sleep_until_open(lambda t=nxt: t)  # type: ignore[misc]
        item = ForecastStep(step, "send", send_at=clock.now, deferred=clock.now != ready_at)
        out.append(item)
        sent_at = clock.now
        not_before = next_open_day(clock.cal, clock.now)
        if not step.expects_answer:
            continue
        asked = 0  # reminders due so far, as the workflow counts them: sent or given up
        while True:
            after = due(following) if following is not None else None
            deadline = answer_deadline(clock.cal, step, sent_at, after)
            target = deadline
            if asked < step.reminders.max_reminders:
                target = min(target, reminder_at(clock.cal, step, sent_at, asked))
            clock.sleep_until_open(lambda t=target: t)  # type: ignore[misc]
            if target >= deadline:
                item.closes_at = clock.now
                break
            asked += 1
            if reserve():  # over budget, a reminder is the first thing to give up
                item.reminders.append(clock.now)
    return out
