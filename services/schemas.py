"""What the use cases take and give back: the JSON API's bodies, as the CLI builds them too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonDict

from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.calendar import DateRange, Day, SchoolCalendar
from cpd.models import Answer, Event, Participant
from cpd.plans import Plan, StepKind
from workflows.types import Timeline


def _one_line(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("name must not be blank")
    return cleaned


# What str.split() takes for a space, written out for the schema (JSON Schema's \s differs).
_SPACE = (
    " \\t\\n\\r\\u000b\\u000c\\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
# A name as people write it on one line: spaces and line breaks run together, never blank.
OneLine = Annotated[
    str, AfterValidator(_one_line), Field(json_schema_extra={"pattern": f"[^{_SPACE}]"})
]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# An address as EmailStr (email-validator) takes it: besides the form, never at a special-use
# domain no mail can reach (RFC 6761: .test, .invalid, .localhost, ...). In the schema too.
_UNREACHABLE = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
Email = Annotated[
    EmailStr,
    Field(
        max_length=254,  # email-validator's limit
        json_schema_extra={"not": {"pattern": rf"[@.]({_UNREACHABLE})$"}},
        description="An address mail can reach: not at a special-use domain such as .test",
    ),
]

# How a plan is named: a built-in plan's id, or a school's own as school:<key>[@<version>].
SCHOOL_PLAN_ID = r"school:([a-z0-9][a-z0-9-]{0,47})(?:@([1-9][0-9]{0,5}))?"
# Built-in ids match Plan.id's pattern ([a-z0-9-]): nothing in them to escape.
PLAN_IDS = f"{'|'.join(BUILTIN_PLANS)}|{SCHOOL_PLAN_ID}"
PLAN_ID = rf"^(?:{PLAN_IDS})$"

# Marks an event date whose window (services/triggers.py) the API's document states, as
# of the day it is read (api/openapi.py).
EVENT_DATE_WINDOW = "x-event-date-window"


class ParticipantIn(BaseModel):
    name: OneLine = Field(min_length=1, max_length=200)
    email: Email
    language: Literal["", "en", "cy"] = Field(
        default="",
        description="What this teacher reads: en (English) or cy (Welsh); "
        "empty follows the school's language (PUT /v1/school/language).",
    )


def once_each(people: list[ParticipantIn]) -> tuple[list[ParticipantIn], list[str]]:
    """Each address once (ignoring case), as it was first listed; and the addresses that
    were listed again."""
    seen: set[str] = set()
    kept, again = [], []
    for person in people:
        key = person.email.lower()
        if key in seen:
            again.append(person.email)
        else:
            seen.add(key)
            kept.append(person)
    return kept, again


ONCE_EACH = (
    "An address listed more than once is one participant, as first listed (the response names it)."
)


class People(BaseModel):
    """A request's participants, each address once: a repeat is the same person."""

    participants: list[ParticipantIn] = Field(
        min_length=1, max_length=10_000, description=ONCE_EACH
    )
    _listed_again: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _once_each(self) -> Self:
        self.participants, self._listed_again = once_each(self.participants)
        return self

    @property
    def listed_again(self) -> list[str]:
        """The addresses given more than once in this request (each taken once)."""
        return self._listed_again


class EventCreate(People):
    reference: str = Field(
        min_length=1,
        max_length=120,
        description="Your own id for the event; reposting it is a no-op.",
    )
    title: str = Field(min_length=1, max_length=200)
    event_date: Day = Field(json_schema_extra={EVENT_DATE_WINDOW: True})
    plan_id: str = Field(
        default=DEFAULT_PLAN_ID,
        max_length=80,
        pattern=PLAN_ID,
        description=(
            f"A built-in plan ({', '.join(BUILTIN_PLANS)}), or one of the school's own "
            "(GET /v1/plans): school:<key> for its latest version, school:<key>@<version> "
            "for one version. A school plan the school does not have is a 409."
        ),
    )
    plan: Plan | None = Field(default=None, description="A custom plan instead of a built-in one.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reference": "INSET-2026-09-01",
                    "title": "Retrieval practice",
                    "event_date": "2026-09-01",
                    "plan_id": DEFAULT_PLAN_ID,
                    "participants": [{"name": "Ada Lovelace", "email": "ada@school.example"}],
                }
            ]
        }
    }


class EventOut(BaseModel):
    id: str
    reference: str
    title: str
    event_date: date
    plan_id: str
    participant_count: int
    created: bool = Field(description="False when this reference was already posted.")
    cancelled: bool = False
    warnings: list[str] = Field(
        default_factory=list,
        description="What the school should know, e.g. that its holidays are only estimated",
    )

    @classmethod
    def of(cls, event: Event, created: bool, participant_count: int) -> EventOut:
        return cls(
            id=event.id,
            reference=event.reference,
            title=event.title,
            event_date=event.event_date,
            plan_id=event.plan_id,
            participant_count=participant_count,
            created=created,
            cancelled=event.cancelled_at is not None,
        )


class RosterRowOut(BaseModel):
    row: int = Field(description="Row number as seen in Excel (the header is row 1)")
    name: str
    email: str
    status: str = Field(description="ok | duplicate (listed once) | error")
    errors: list[str]


class RosterReport(BaseModel):
    ok: bool
    problems: list[str] = Field(description="Problems with the file as a whole")
    people: int
    duplicates: int
    errors: int
    rows: list[RosterRowOut]


class EventList(BaseModel):
    items: list[EventOut]


class AnswerOut(BaseModel):
    step_id: str
    choice: str
    text: str = Field(description="Empty for a private reflection the teacher did not share")
    late: bool
    shared: bool = True
    answered_at: datetime

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        # A reflection the teacher kept private stays in their portfolio only.
        return cls(
            step_id=a.step_id,
            choice=a.choice,
            text=a.text if a.shared else "",
            late=a.late,
            shared=a.shared,
            answered_at=a.answered_at,
        )


class ParticipantStatus(BaseModel):
    id: str
    name: str
    email: str
    stage: str
    current_step_id: str | None
    next_due_at: datetime | None
    needs_help: bool
    email_bounced: bool = False
    language: str = Field(default="", description="en | cy; empty follows the school's")
    answers: list[AnswerOut]

    @classmethod
    def of(cls, p: Participant, answers: list[AnswerOut]) -> ParticipantStatus:
        return cls(
            id=p.id,
            name=p.name,
            email=p.email,
            stage=p.stage,
            current_step_id=p.current_step_id,
            next_due_at=p.next_due_at,
            needs_help=p.needs_help,
            email_bounced=p.email_bounced,
            language=p.language,
            answers=answers,
        )


class ParticipantsAdd(People):
    model_config = {
        "json_schema_extra": {
            "examples": [{"participants": [{"name": "Late Joiner", "email": "lj@school.example"}]}]
        }
    }


class ParticipantsAdded(BaseModel):
    added: list[ParticipantStatus]
    already_in_event: list[str] = Field(description="Emails left as they were.")
    listed_again: list[str] = Field(
        default_factory=list,
        description="Emails given more than once in this request: each was taken once.",
    )


class EmailChange(BaseModel):
    email: Email

    model_config = {"json_schema_extra": {"examples": [{"email": "ada.lovelace@school.example"}]}}


class PauseRequest(BaseModel):
    reason: str = Field(default="", max_length=200, description="e.g. leave, illness")

    model_config = {"json_schema_extra": {"examples": [{"reason": "parental leave"}]}}


class StepRate(BaseModel):
    step_id: str
    title: str = Field(default="", description="The step in words, e.g. 'Week 2 check-in'")
    kind: StepKind
    sent: int = Field(description="Participants whose first email for this step was sent")
    answered: int
    late: int
    response_rate: float | None = Field(description="answered / sent; null before any send")


class PersonRef(BaseModel):
    id: str
    name: str


class PersonText(BaseModel):
    name: str
    text: str


class AttentionList(BaseModel):
    count: int
    people: list[PersonRef] = Field(
        description="The first few by name; list them all with /participants?attention=..."
    )


class Attention(BaseModel):
    needs_help: AttentionList
    overdue: AttentionList = Field(description="At least one step closed unanswered")
    bounced: AttentionList
    paused: AttentionList
    withdrawn: AttentionList


def _few(count: int, *names: str) -> JsonDict:
    return {"count": count, "people": [{"id": f"p{i}", "name": n} for i, n in enumerate(names)]}


class EventStatus(BaseModel):
    event: EventOut
    stages: dict[str, int] = Field(description="Participants per stage")
    steps: list[StepRate]
    attention: Attention

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "event": {
                        "id": "3f9c2a7d1b6e4c08",
                        "reference": "INSET-2026-09-01",
                        "title": "Retrieval practice",
                        "event_date": "2026-09-01",
                        "plan_id": DEFAULT_PLAN_ID,
                        "participant_count": 48,
                        "created": False,
                        "cancelled": False,
                    },
                    "stages": {"awaiting_answer": 12, "waiting": 33, "paused": 2, "withdrawn": 1},
                    "steps": [
                        {
                            "step_id": "action-plan",
                            "kind": "action_plan",
                            "sent": 48,
                            "answered": 41,
                            "late": 3,
                            "response_rate": 0.854,
                        }
                    ],
                    "attention": {
                        "needs_help": _few(1, "Alan Turing"),
                        "overdue": _few(2, "Grace Hopper", "Katherine Johnson"),
                        "bounced": _few(0),
                        "paused": _few(2, "Ada Lovelace", "Mary Somerville"),
                        "withdrawn": _few(1, "Charles Babbage"),
                    },
                }
            ]
        }
    }


class ParticipantPage(BaseModel):
    items: list[ParticipantStatus]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page")


class ImpactCheckpoint(BaseModel):
    step_id: str
    title: str = Field(default="", description="The step in words, e.g. '3-month impact check'")
    guskey_level: int
    month: int = Field(description="About how many months after the event")
    responses: int
    distribution: dict[str, int] = Field(description="Count of each rating 1-5")
    mean: float | None
    change_from_first: float | None = Field(
        default=None, description="Mean minus the first checkpoint's mean at this level"
    )


class Level3Comparison(BaseModel):
    """One level 3 step: the CPD leads' answer beside the teachers' ratings of the same
    question (the time and resources the school gave)."""

    step_id: str
    title: str = ""
    teachers_responses: int
    teachers_mean: float | None
    leaders_responses: int
    leaders_mean: float | None
    gap: float | None = Field(description="Leaders' mean minus teachers' mean")
    flagged: bool = Field(description="Leaders and teachers differ by a point or more")


class PracticeGroup(BaseModel):
    teachers: int = Field(description="Teachers in the group who gave the rating (5 or more)")
    mean: float = Field(description="Their mean rating, 1-5")


class PracticeImpact(BaseModel):
    """Did practice lead to impact? One impact check, the teachers who said at an earlier
    practice check-in that they had tried it twice or more beside those who answered those
    check-ins otherwise (once, not yet, or asking for help). Teachers who answered none of
    the earlier check-ins are in neither group. Both groups are null until each has at
    least 5 teachers."""

    step_id: str
    title: str = Field(description="The impact check in words, e.g. '3-month impact check'")
    checkins: list[str] = Field(description="The earlier practice check-ins counted, in words")
    tried_twice: PracticeGroup | None = Field(
        description="Said 'tried it twice or more' at one of those check-ins"
    )
    not_twice: PracticeGroup | None = Field(
        description="Answered those check-ins, never 'twice or more'"
    )
    summary: str = Field(description="The comparison in a sentence, as the dashboard says it")


class ImpactSummary(BaseModel):
    checkpoints: list[ImpactCheckpoint]
    level3: list[Level3Comparison] = Field(default_factory=list)
    practice: list[PracticeImpact] = Field(
        default_factory=list,
        description="Did practice lead to impact? Per impact check after a practice check-in",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "checkpoints": [
                        {
                            "step_id": "impact-1-month",
                            "guskey_level": 4,
                            "month": 1,
                            "responses": 40,
                            "distribution": {"1": 2, "2": 6, "3": 14, "4": 13, "5": 5},
                            "mean": 3.32,
                            "change_from_first": 0.0,
                        },
                        {
                            "step_id": "impact-3-months",
                            "guskey_level": 4,
                            "month": 3,
                            "responses": 35,
                            "distribution": {"1": 1, "2": 3, "3": 10, "4": 14, "5": 7},
                            "mean": 3.66,
                            "change_from_first": 0.34,
                        },
                    ],
                    "practice": [
                        {
                            "step_id": "impact-3-months",
                            "title": "3-month impact check",
                            "checkins": ["Week 2 check-in", "Week 6 check-in"],
                            "tried_twice": {"teachers": 12, "mean": 4.08},
                            "not_twice": {"teachers": 7, "mean": 2.57},
                            "summary": "Teachers who had tried it twice or more by the Week 6"
                            " check-in rated the 3-month impact check 4.1 on average"
                            " (12 teachers); those who had not, 2.6 (7 teachers).",
                        }
                    ],
                }
            ]
        }
    }


class ParticipantDetail(BaseModel):
    participant: ParticipantStatus
    timeline: Timeline | None = Field(
        description="Live state from the workflow; null if unreachable."
    )
    step_titles: dict[str, str] = Field(
        default_factory=dict,
        description="Each step of the event's plan in words, by step id "
        "(e.g. 'checkin-week-2': 'Week 2 check-in')",
    )


class Erased(BaseModel):
    participants: int = 0
    workflow_runs: int = 0
    answers: int = 0
    evidence: int = 0
    emails: int = 0


class ErasureRequest(BaseModel):
    email: Email


class SchoolYearOut(BaseModel):
    """The days a school is closed that it did not type in, and which of them are guesses."""

    nation: str | None
    terms_entered: bool
    bank_holidays: list[DateRange]
    estimated: list[DateRange] = Field(
        description="Usual school holidays assumed where no term dates were entered"
    )
    warnings: list[str]


class CalendarImport(BaseModel):
    """What a calendar file was understood to say, and whether it was saved."""

    applied: bool = Field(description="False: a preview; nothing was saved")
    terms: list[DateRange]
    closures: list[DateRange]
    not_understood: list[str] = Field(description="Events left out: not a term or a closure")
    calendar: SchoolCalendar = Field(description="The school's calendar with these dates")


class SupportMark(BaseModel):
    """A CPD lead's note on a teacher's request for help; "supported" clears the flag."""

    status: Literal["in_hand", "supported"]

    model_config = {"json_schema_extra": {"examples": [{"status": "supported"}]}}


# A school's local time with its offset: "+00:00" in winter, not "Z", so it reads the same
# way all year.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(lambda at: at.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class PreviewStep(BaseModel):
    """One step of a plan as it will go to a teacher who starts now."""

    step_id: str
    title: str
    kind: StepKind
    status: Literal["send", "skipped", "before_joined"] = Field(
        description="send; skipped: a routine step overtaken by the next after a holiday; "
        "before_joined: a cue or check-in whose day has passed"
    )
    send_at: LocalDateTime | None = Field(
        default=None, description="When the email goes, in the school's time zone (with offset)"
    )
    local_date: date | None = None
    local_time: str | None = Field(default=None, description="HH:MM, the school's local time")
    planned_date: date = Field(
        description="The day the plan puts it on (the event date plus its offset), before "
        "the school's calendar moves it"
    )
    at_once: bool = Field(
        default=False, description="Already due: sent as soon as the follow-through starts"
    )
    deferred: bool = Field(
        default=False, description="Moved to a later week: this plan's own weekly budget was full"
    )
    reminders: list[LocalDateTime] = Field(
        default_factory=list, description="Each goes only if the teacher has not answered by then"
    )
    closes_at: LocalDateTime | None = Field(
        default=None, description="Counted as missed if unanswered by then"
    )
    subject: str = ""
    text: str = Field(default="", description="The plain-text email, for a sample teacher")


class EventPreview(BaseModel):
    """What a trigger would do, before it is done: nothing is written and nothing is sent."""

    plan_id: str
    plan_name: str
    timezone: str
    participants: int
    steps: list[PreviewStep]
    warnings: list[str]
    decided_later: list[str] = Field(description="What the preview cannot know in advance")
    roster: RosterReport | None = Field(
        default=None, description="A roster file's verdict for every row (the CSV preview)"
    )


class SchoolLanguage(BaseModel):
    """What the school's teachers read: their emails and the pages their links open."""

    language: Literal["en", "cy"] = Field(
        description="en (English) or cy (Welsh). A teacher's own language, given with the "
        "event or the roster's Language/Iaith column, overrides it."
    )
