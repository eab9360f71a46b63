"""Follow-through plans: ordered steps as data, validated and versioned.

A plan encodes the EEF "embed practice" mechanisms (action planning, prompts
and cues, context-specific repetition, self-monitoring) and Guskey's levels
of evaluation, spread over at least two terms. Pure: workflows use it.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from cpd.calendar import NOT_A_BOOL, ClockTime, Whole
from cpd.i18n import N_


class StepKind(StrEnum):
    ACTION_PLAN = "action_plan"
    CUE = "cue"
    PRACTICE_CHECKIN = "practice_checkin"
    EVIDENCE = "evidence"
    IMPACT_CHECK = "impact_check"
    LEADER_CHECK = "leader_check"
    REFLECTION = "reflection"
    # Watching a colleague try it, or being watched (EEF: peer observation and feedback).
    PEER_OBSERVATION = "peer_observation"


# One-tap answers offered in the email itself, by step kind.
CHECKIN_CHOICES = ("tried_twice", "tried_once", "not_yet", "need_help")
IMPACT_CHOICES = ("1", "2", "3", "4", "5")
CUE_CHOICES = ("done", "not_yet", "need_help")
# "planned" brings one follow-up nudge a week later (workflows/participant.py).
PEER_CHOICES = ("done", "planned", "not_yet")
# Answers that mean "support needed": they bring an extra cue and flag a leader.
HELP_CHOICES = frozenset({"not_yet", "need_help"})


# The parts of an action plan (EEF: plan the when, where and how of practice).
ACTION_PLAN_FIELDS = {
    "context": N_("What will you do, and at what point in the lesson?"),
    "class_name": N_("With which class?"),
    "frequency": N_("How often?"),
    "duration": N_("For how long?"),
}


def action_plan_sentence(fields: dict[str, str], language: str = "en") -> str:
    """The plan as one sentence, to quote back to the teacher in later emails. The
    workflow keeps the English; a Welsh email builds its own at send time."""
    f = {k: " ".join(fields.get(k, "").split()) for k in ACTION_PLAN_FIELDS}
    if language == "cy":
        return f"{f['context']} gyda {f['class_name']}, {f['frequency']}, am {f['duration']}"
    return f"{f['context']} with {f['class_name']}, {f['frequency']}, for {f['duration']}"


def choices_for(kind: StepKind) -> tuple[str, ...]:
    if kind is StepKind.PRACTICE_CHECKIN:
        return CHECKIN_CHOICES
    if kind in (StepKind.IMPACT_CHECK, StepKind.LEADER_CHECK):
        return IMPACT_CHOICES
    if kind is StepKind.CUE:
        return CUE_CHOICES
    if kind is StepKind.PEER_OBSERVATION:
        return PEER_CHOICES
    return ()  # answered with a short form, not a one-tap choice


class ReminderPolicy(BaseModel):
    max_reminders: Whole = Field(default=2, ge=0, le=3)
    every_working_days: Whole = Field(default=2, ge=1, le=15)


class Step(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")
    kind: StepKind
    # What people read ("Week 2 check-in"); empty: worked out from the kind and timing.
    title: str = Field(default="", max_length=80)
    offset_days: Whole = Field(ge=0, le=800, description="calendar days after the event date")
    send_time: ClockTime = Field(default=time(8, 0), description="school-local time it is due")
    answer_window_working_days: Whole = Field(default=5, ge=0, le=40)
    reminders: ReminderPolicy = Field(default_factory=ReminderPolicy)
    # The bounds before the check, or the schema would say "ge"/"le", not minimum/maximum.
    guskey_level: Annotated[int, Field(ge=1, le=5), NOT_A_BOOL] | None = None
    prompt: str = Field(default="", max_length=500)

    # The rules below, in the JSON schema too, so a client (or a generator of test requests)
    # can tell a step that will be refused from one that will be taken.
    model_config = {
        "json_schema_extra": {
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": "cue"}}, "required": ["kind"]},
                    "then": {
                        "properties": {"reminders": {"properties": {"max_reminders": {"const": 0}}}}
                    },
                },
                {
                    "if": {"properties": {"kind": {"const": "impact_check"}}, "required": ["kind"]},
                    "then": {
                        "properties": {"guskey_level": {"type": "integer"}},
                        "required": ["guskey_level"],
                    },
                },
                {
                    "if": {"properties": {"kind": {"const": "leader_check"}}, "required": ["kind"]},
                    "then": {"properties": {"guskey_level": {"enum": [3, None]}}},
                },
            ]
        }
    }

    @model_validator(mode="before")
    @classmethod
    def _cues_unchased(cls, data: Any) -> Any:
        # A cue given no reminder count (no policy, or one without max_reminders) gets none,
        # rather than the default it may not have: as its JSON schema says.
        if isinstance(data, dict) and data.get("kind") == "cue":
            reminders = data.get("reminders", {})
            if isinstance(reminders, dict) and "max_reminders" not in reminders:
                return {**data, "reminders": {**reminders, "max_reminders": 0}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.kind is StepKind.IMPACT_CHECK and self.guskey_level is None:
            raise ValueError(f"step {self.id!r}: an impact check needs its guskey_level")
        if self.kind is StepKind.LEADER_CHECK and self.guskey_level not in (None, 3):
            raise ValueError(f"step {self.id!r}: a leader check evaluates Guskey level 3")
        if self.kind is StepKind.CUE and self.reminders.max_reminders:
            raise ValueError(f"step {self.id!r}: cues are never chased with reminders")
        return self

    @property
    def expects_answer(self) -> bool:
        return self.answer_window_working_days > 0

    @property
    def display_title(self) -> str:
        """The step in words, for pages and exports: its own title, or one from its timing."""
        if self.title:
            return self.title
        week = max(1, round(self.offset_days / 7))
        month = round(self.offset_days / 30.4)
        return {
            StepKind.ACTION_PLAN: "Action plan",
            StepKind.CUE: f"Week {week} cue",
            StepKind.PRACTICE_CHECKIN: f"Week {week} check-in",
            StepKind.EVIDENCE: f"Evidence, week {week}",
            StepKind.IMPACT_CHECK: f"{month}-month impact check" if month else "Impact check",
            StepKind.LEADER_CHECK: "Time and resources",
            StepKind.REFLECTION: "Reflection",
            StepKind.PEER_OBSERVATION: f"Peer observation, week {week}",
        }[self.kind]


# What a plan's steps are together, as the schema of each list of them says.
STEPS_DESCRIPTION = (
    "Each id once. Taken in order of offset_days (steps sent in another order are put in "
    "it, those on the same day as sent)."
)


def check_steps(steps: list[Step]) -> list[Step]:
    """What a plan's steps must be together: unique ids; returned in order of their timing,
    which says when each goes, so an order given otherwise is not a mistake worth refusing.
    (A school's plan as sent to be saved is checked the same way: services/plan_library.py.)"""
    ids = [s.id for s in steps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"step ids must be unique; repeated: {', '.join(dupes)}")
    return sorted(steps, key=lambda s: s.offset_days)


class Plan(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")
    version: Whole = Field(default=1, ge=1)
    name: str = Field(max_length=120)
    stream: str = Field(default="custom", max_length=40)
    steps: list[Step] = Field(min_length=1, max_length=120, description=STEPS_DESCRIPTION)

    @model_validator(mode="after")
    def _ordered_unique(self) -> Plan:
        self.steps = check_steps(self.steps)
        return self

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)
