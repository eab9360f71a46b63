"""The built-in plans for the three streams of CPD (plus external courses).

Offsets are calendar days from the event date; the school calendar then moves
each step to the next open slot, so "day 0 at 16:00" on a closed INSET day
lands at 07:30 on the next working day: within a working day of the event.
The questions are English msgids (``N_``): a Welsh teacher reads them from the
catalogue when the email is rendered (cpd/i18n.py).
"""

from __future__ import annotations

from datetime import time

from cpd.i18n import N_
from cpd.plans import Plan, ReminderPolicy, Step, StepKind

K = StepKind
NO_REMINDERS = ReminderPolicy(max_reminders=0)


def _level3(offset: int) -> Step:
    """Guskey level 3: the school's support. Teachers are asked, and each CPD lead is asked
    the same of the school on the same day (services/leader_checks.py)."""
    return Step(
        id="leader-support",
        kind=K.LEADER_CHECK,
        offset_days=offset,
        guskey_level=3,
        prompt=N_("Has the school given you the time and resources to keep this going?"),
    )


def _impact(step_id: str, offset: int, level: int, prompt: str) -> Step:
    return Step(
        id=step_id,
        kind=K.IMPACT_CHECK,
        offset_days=offset,
        guskey_level=level,
        answer_window_working_days=10,
        prompt=prompt,
    )


WHOLE_SCHOOL_INSET = Plan(
    id="whole-school-inset",
    name="Whole-school INSET: 12 months",
    stream="whole-school",
    steps=[
        Step(
            id="action-plan",
            kind=K.ACTION_PLAN,
            offset_days=0,
            send_time=time(16, 0),
            answer_window_working_days=5,
            prompt=N_("Write one concrete change: which class, how often, for how long."),
        ),
        Step(
            id="cue-week-1",
            kind=K.CUE,
            offset_days=7,
            answer_window_working_days=0,
            reminders=NO_REMINDERS,
            prompt=N_("This week, try your plan."),
        ),
        Step(
            id="checkin-week-2",
            kind=K.PRACTICE_CHECKIN,
            offset_days=14,
            prompt=N_("Have you used it at least twice with the same class?"),
        ),
        Step(
            id="cue-week-3",
            kind=K.CUE,
            offset_days=21,
            answer_window_working_days=0,
            reminders=NO_REMINDERS,
            prompt=N_("A reminder of what you planned."),
        ),
        _impact(
            "impact-1-month", 30, 4, N_("A month on: how much are you using the new approach?")
        ),
        Step(
            id="checkin-week-6",
            kind=K.PRACTICE_CHECKIN,
            offset_days=42,
            prompt=N_("Still using it with the same class?"),
        ),
        Step(
            id="evidence-half-term",
            kind=K.EVIDENCE,
            offset_days=49,
            answer_window_working_days=10,
            prompt=N_(
                "Share one small piece of evidence: a photo of pupils' work, a link or a note."
            ),
        ),
        _level3(60),
        _impact("impact-3-months", 91, 4, N_("Three months on: is it part of how you teach now?")),
        _impact(
            "impact-6-months", 182, 5, N_("Six months on: what difference do you see in pupils?")
        ),
        _impact(
            "impact-12-months", 365, 5, N_("A year on: what difference has it made for pupils?")
        ),
        Step(
            id="closing-reflection",
            kind=K.REFLECTION,
            offset_days=372,
            answer_window_working_days=10,
            prompt=N_("Looking back over the year: what will you keep, and what next?"),
        ),
    ],
)


def _cycle(plan_id: str, name: str, stream: str, every: int, cycles: int) -> Plan:
    steps = [
        Step(
            id="action-plan",
            kind=K.ACTION_PLAN,
            offset_days=0,
            send_time=time(16, 0),
            prompt=N_("Agree your focus step: what you will practise, with which class."),
        ),
    ]
    for n in range(1, cycles + 1):
        steps.append(
            Step(
                id=f"checkin-{n}",
                kind=K.PRACTICE_CHECKIN,
                offset_days=n * every,
                answer_window_working_days=min(every // 2 + 1, 5),
                prompt=N_("Did you practise your step at least twice since last time?"),
            )
        )
    # Level 3 about two months in, between two check-ins (60 is no multiple of 7 or 14).
    steps.append(_level3(60))
    steps.sort(key=lambda s: s.offset_days)
    last = cycles * every
    steps.append(
        _impact("impact-end", last + 7, 4, N_("Looking back over the cycle: what changed?"))
    )
    steps.append(
        Step(
            id="closing-reflection",
            kind=K.REFLECTION,
            offset_days=last + 14,
            prompt=N_("What will you keep doing, and what is your next step?"),
        )
    )
    return Plan(id=plan_id, name=name, stream=stream, steps=steps)


TEAM_CYCLE = _cycle(
    "team-cycle", "Team or department cycle: fortnightly, two terms", "team", every=14, cycles=12
)
COACHING_WEEKLY = _cycle(
    "coaching-weekly",
    "Individual coaching: weekly steps, one year",
    "individual",
    every=7,
    cycles=40,
)
COACHING_FORTNIGHTLY = _cycle(
    "coaching-fortnightly",
    "Individual coaching: fortnightly steps",
    "individual",
    every=14,
    cycles=20,
)

EXTERNAL_COURSE = Plan(
    id="external-course",
    name="External course: share, apply, review",
    stream="individual",
    steps=[
        Step(
            id="action-plan",
            kind=K.ACTION_PLAN,
            offset_days=1,
            prompt=N_("What is the one idea from the course you will apply, and where?"),
        ),
        Step(
            id="checkin-week-2",
            kind=K.PRACTICE_CHECKIN,
            offset_days=14,
            prompt=N_("Have you tried it at least twice with the same class?"),
        ),
        _impact("impact-1-month", 30, 4, N_("A month on: how often are you using it?")),
        Step(
            id="evidence-6-weeks",
            kind=K.EVIDENCE,
            offset_days=42,
            answer_window_working_days=10,
            prompt=N_("Share one piece of evidence of it in use."),
        ),
        _level3(60),
        _impact("impact-3-months", 91, 4, N_("Three months on: is it part of your practice?")),
        _impact("impact-6-months", 182, 5, N_("Six months on: what difference for pupils?")),
        _impact("impact-12-months", 365, 5, N_("A year on: what difference for pupils?")),
    ],
)

BUILTIN_PLANS: dict[str, Plan] = {
    p.id: p
    for p in (
        WHOLE_SCHOOL_INSET,
        TEAM_CYCLE,
        COACHING_WEEKLY,
        COACHING_FORTNIGHTLY,
        EXTERNAL_COURSE,
    )
}
DEFAULT_PLAN_ID = WHOLE_SCHOOL_INSET.id
