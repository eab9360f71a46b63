"""Leaders' figures, computed in the database from the projection.

Nothing here asks Temporal: an event of thousands of teachers is summarised
by a few small reads of running totals, so it stays fast. Each figure is a
named statement and a function that shapes its rows, so a page can read all
it needs as one batch (``Db.read``: one snapshot, one hop on SQLite). The
statements are built once, here, with bound parameters: building these
expressions anew cost more than running them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    literal,
    union_all,
)
from sqlmodel import col, func, select

from cpd.db import Batch, Db
from cpd.models import (
    ATTENTION_LISTS,
    Answer,
    ChoiceCount,
    Event,
    EventCensus,
    LeaderCheck,
    Participant,
    School,
    StepCount,
)
from cpd.plans import CHECKIN_CHOICES, IMPACT_CHOICES, Plan, StepKind
from services.schemas import (
    AnswerOut,
    Attention,
    AttentionList,
    EventList,
    EventOut,
    EventStatus,
    ImpactCheckpoint,
    ImpactSummary,
    Level3Comparison,
    ParticipantPage,
    ParticipantStatus,
    PersonRef,
    PersonText,
    PracticeGroup,
    PracticeImpact,
    StepRate,
)
from services.tenancy import EVENT, owned, owned_event

ATTENTION_NAMES = 50  # per list in a status: a leader acts on names, not on thousands of rows
ATTENTION_KINDS = list(Attention.model_fields)
assert set(ATTENTION_KINDS) == set(ATTENTION_LISTS), "every list in a status has a definition"
IMPACT_KINDS = (StepKind.IMPACT_CHECK, StepKind.LEADER_CHECK)


async def participant_counts(db: Db, event_ids: list[str]) -> dict[str, int]:
    """People per event, for many events in one grouped query."""
    rows = await db.exec(
        select(Participant.event_id, func.count())
        .where(col(Participant.event_id).in_(event_ids))
        .group_by(Participant.event_id)
    )
    return dict(rows.all())


async def list_events(db: Db, school_id: str, limit: int) -> EventList:
    """This school's events, newest first."""
    events = await school_events(db, school_id, limit)
    counts = await participant_counts(db, [e.id for e in events])
    return EventList(items=[EventOut.of(e, False, counts.get(e.id, 0)) for e in events])


async def school_events(db: Db, school_id: str, limit: int | None = None) -> list[Event]:
    query = (
        select(Event)
        .where(Event.school_id == school_id)
        .order_by(col(Event.event_date).desc(), col(Event.created_at).desc())
        .limit(limit)
    )
    return list((await db.exec(query)).all())


@dataclass
class Census:
    """How many of an event's people are in each stage and on each attention list."""

    stages: dict[str, int]
    attention: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.stages.values())


def params(event_id: str, plan: Plan | None = None) -> dict[str, Any]:
    """What the statements below are bound to (the plan's step ids, where they need them)."""
    steps = plan.steps if plan else []
    return {
        "event_id": event_id,
        "reflection_steps": [s.id for s in steps if s.kind is StepKind.REFLECTION],
    }


EVENT_ID: BindParameter[str] = bindparam("event_id")

# The running census (cpd/census.py): a row per stage with its people on each list.
CENSUS = select(
    EventCensus.stage,
    EventCensus.people,
    *(getattr(EventCensus, kind) for kind in ATTENTION_KINDS),
).where(EventCensus.event_id == EVENT_ID, col(EventCensus.people) > 0)


def census_from(rows: Sequence[Any]) -> Census:
    stages: dict[str, int] = {}
    attention = dict.fromkeys(ATTENTION_KINDS, 0)
    for row in rows:
        stages[row.stage] = row.people
        for kind in ATTENTION_KINDS:
            attention[kind] += getattr(row, kind)
    return Census(stages, attention)


# Running totals kept by the activities that send and record (cpd/counters.py).
STEP_COUNTS = select(StepCount).where(StepCount.event_id == EVENT_ID)


def step_rates_from(rows: Sequence[Any], plan: Plan) -> list[StepRate]:
    counts = {row.StepCount.step_id: row.StepCount for row in rows}
    rates = []
    for step in plan.steps:
        c = counts.get(step.id) or StepCount(event_id="", step_id=step.id)
        rates.append(
            StepRate(
                step_id=step.id,
                title=step.display_title,
                kind=step.kind,
                sent=c.sent,
                answered=c.answered,
                late=c.late,
                response_rate=round(c.answered / c.sent, 3) if c.sent else None,
            )
        )
    return rates


def attention_filter(kind: str) -> list[ColumnElement[bool]]:
    """Who is in each of a leader's attention lists (defined with their indexes)."""
    return ATTENTION_LISTS[kind]


def _first_names(kind: str) -> Select[Any]:
    first = (
        select(Participant.id, Participant.name)
        .where(Participant.event_id == EVENT_ID, *attention_filter(kind))
        .order_by(col(Participant.name))
        .limit(ATTENTION_NAMES)
        .subquery()
    )
    return select(literal(kind).label("kind"), first.c.id, first.c.name)


# The first few names on every attention list, in one statement.
NAMES = union_all(*(_first_names(kind) for kind in ATTENTION_KINDS))


def attention_from(census: Census, rows: Sequence[Any]) -> Attention:
    people: dict[str, list[PersonRef]] = {kind: [] for kind in ATTENTION_KINDS}
    for row in rows:
        people[row.kind].append(PersonRef(id=row.id, name=row.name))
    return Attention(
        **{
            kind: AttentionList(count=census.attention[kind], people=people[kind])
            for kind in ATTENTION_KINDS
        }
    )


# Running totals of answers per step and choice (cpd/counters.py); only ratings here.
IMPACT = select(ChoiceCount.step_id, ChoiceCount.choice, ChoiceCount.answers).where(
    ChoiceCount.event_id == EVENT_ID, col(ChoiceCount.choice).in_(IMPACT_CHOICES)
)


def mean_of(distribution: dict[str, int]) -> float | None:
    """The mean rating of a count per rating 1-5, to two places; None without answers.
    The one average of ratings: an event's checkpoints and a school's or trust's alike."""
    n = sum(distribution.values())
    return round(sum(int(c) * k for c, k in distribution.items()) / n, 2) if n else None


def impact_from(
    rows: Sequence[Any],
    plan: Plan,
    leaders: Sequence[Any] = (),
    practice: Sequence[Any] | None = None,
) -> ImpactSummary:
    """Ratings 1-5 for each impact check, by Guskey level and checkpoint month, and the
    CPD leads' answers to level 3 beside the teachers' (``leaders``: LEADER_RATINGS rows);
    with ``practice`` (PRACTICE_ANSWERS rows), whether practising led to higher ratings."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row.choice in IMPACT_CHOICES:
            counts[row.step_id][row.choice] = row.answers
    checkpoints = []
    for step in (s for s in plan.steps if s.kind in IMPACT_KINDS):
        distribution = {c: counts[step.id].get(c, 0) for c in IMPACT_CHOICES}
        checkpoints.append(
            ImpactCheckpoint(
                step_id=step.id,
                title=step.display_title,
                guskey_level=step.guskey_level or 3,
                month=round(step.offset_days / 30.4),
                responses=sum(distribution.values()),
                distribution=distribution,
                mean=mean_of(distribution),
            )
        )
    # Change over time: each level's mean at each checkpoint, against the first one.
    by_level: dict[int, list[ImpactCheckpoint]] = defaultdict(list)
    for cp in checkpoints:
        by_level[cp.guskey_level].append(cp)
    for series in by_level.values():
        first = next((cp.mean for cp in series if cp.mean is not None), None)
        for cp in series:
            if first is not None and cp.mean is not None:
                cp.change_from_first = round(cp.mean - first, 2)
    return ImpactSummary(
        checkpoints=checkpoints,
        level3=level3_from(checkpoints, leaders, plan),
        practice=practice_impact_from(practice, plan) if practice is not None else [],
    )


# A gap of a point or more between leaders and teachers on level 3 is worth a conversation.
GAP_FLAG = 1.0


def level3_from(
    checkpoints: list[ImpactCheckpoint], leaders: Sequence[Any], plan: Plan
) -> list[Level3Comparison]:
    teachers = {cp.step_id: cp for cp in checkpoints}
    ratings: dict[str, list[int]] = defaultdict(list)
    for row in leaders:
        ratings[row.step_id].append(row.rating)
    out = []
    for step in (s for s in plan.steps if s.kind is StepKind.LEADER_CHECK):
        theirs = teachers.get(step.id)
        mine = ratings.get(step.id, [])
        leaders_mean = round(sum(mine) / len(mine), 2) if mine else None
        teachers_mean = theirs.mean if theirs else None
        gap = (
            round(leaders_mean - teachers_mean, 2)
            if leaders_mean is not None and teachers_mean is not None
            else None
        )
        out.append(
            Level3Comparison(
                step_id=step.id,
                title=step.display_title,
                teachers_responses=theirs.responses if theirs else 0,
                teachers_mean=teachers_mean,
                leaders_responses=len(mine),
                leaders_mean=leaders_mean,
                gap=gap,
                flagged=gap is not None and abs(gap) >= GAP_FLAG,
            )
        )
    return out


# Each teacher's practice check-in answers and impact ratings in one event: a bounded read
# of that event's answers (from its report index), for "did practice lead to impact?".
PRACTICE_ANSWERS = select(Answer.participant_id, Answer.step_id, Answer.choice).where(
    Answer.event_id == EVENT_ID, col(Answer.choice).in_(CHECKIN_CHOICES + IMPACT_CHOICES)
)
# A comparison shows nothing for a group of fewer teachers than this: too few to say, and
# a mean of two or three ratings comes close to saying who gave them.
PRACTICE_GROUP_MIN = 5
NOT_ENOUGH = "Not enough answers yet to compare (each group needs 5 teachers)."
PRACTISED = "tried_twice"


def practice_impact_from(rows: Sequence[Any], plan: Plan) -> list[PracticeImpact]:
    """For each impact check after a practice check-in: the mean rating of teachers who said
    they had tried it twice or more at a check-in before it, against those who answered
    those check-ins but never said so. A teacher who answered none of them is in neither
    group: we do not know what they did."""
    checkins: dict[str, dict[str, str]] = defaultdict(dict)  # participant -> step -> choice
    ratings: dict[str, dict[str, int]] = defaultdict(dict)  # step -> participant -> rating
    kinds = {s.id: s.kind for s in plan.steps}
    for row in rows:
        kind = kinds.get(row.step_id)
        if kind is StepKind.PRACTICE_CHECKIN and row.choice in CHECKIN_CHOICES:
            checkins[row.participant_id][row.step_id] = row.choice
        elif kind is StepKind.IMPACT_CHECK and row.choice in IMPACT_CHOICES:
            ratings[row.step_id][row.participant_id] = int(row.choice)
    out = []
    for i, step in enumerate(plan.steps):
        before = [s for s in plan.steps[:i] if s.kind is StepKind.PRACTICE_CHECKIN]
        if step.kind is not StepKind.IMPACT_CHECK or not before:
            continue
        earlier = {s.id for s in before}
        twice: list[int] = []
        not_twice: list[int] = []
        for person, rating in ratings[step.id].items():
            said = [c for s, c in checkins.get(person, {}).items() if s in earlier]
            if said:
                (twice if PRACTISED in said else not_twice).append(rating)
        enough = min(len(twice), len(not_twice)) >= PRACTICE_GROUP_MIN
        yes, no = (_group(twice), _group(not_twice)) if enough else (None, None)
        by = before[-1].display_title
        out.append(
            PracticeImpact(
                step_id=step.id,
                title=step.display_title,
                checkins=[s.display_title for s in before],
                tried_twice=yes,
                not_twice=no,
                summary=(
                    f"Teachers who had tried it twice or more by the {by} rated the "
                    f"{step.display_title} {yes.mean:.1f} on average ({yes.teachers} teachers); "
                    f"those who had not, {no.mean:.1f} ({no.teachers} teachers)."
                    if yes and no
                    else NOT_ENOUGH
                ),
            )
        )
    return out


def _group(ratings: list[int]) -> PracticeGroup:
    return PracticeGroup(teachers=len(ratings), mean=round(sum(ratings) / len(ratings), 2))


# Reflections their authors chose to share, newest first; private ones never leave.
SHARED_REFLECTIONS = (
    select(Participant.name, Answer.text)
    .join(Answer, col(Answer.participant_id) == col(Participant.id))
    .where(
        Participant.event_id == EVENT_ID,
        col(Answer.step_id).in_(bindparam("reflection_steps", expanding=True)),
        col(Answer.shared).is_(True),
    )
    .order_by(col(Answer.answered_at).desc())
    .limit(ATTENTION_NAMES)
)


def reflections_from(rows: Sequence[Any]) -> list[PersonText]:
    return [PersonText(name=row.name, text=row.text) for row in rows]


# What a status reads, in one batch with the caller's key check (api/deps.py ``reading``).
STATUS: dict[str, Executable] = {
    "event": EVENT,
    "census": CENSUS,
    "steps": STEP_COUNTS,
    "names": NAMES,
}


def status_of(school: School, rows: Batch) -> EventStatus:
    """Counts per stage, response rate per step, and who needs a leader's attention."""
    event = owned(rows["event"], school.id)
    census = census_from(rows["census"])
    return EventStatus(
        event=EventOut.of(event, False, census.total),
        stages=census.stages,
        steps=step_rates_from(rows["steps"], event.plan),
        attention=attention_from(census, rows["names"]),
    )


# The CPD leads' answers to the event's level 3 questions (services/leader_checks.py).
LEADER_RATINGS = select(LeaderCheck.step_id, LeaderCheck.rating).where(
    LeaderCheck.event_id == EVENT_ID, col(LeaderCheck.rating).is_not(None)
)

IMPACT_READS: dict[str, Executable] = {
    "event": EVENT,
    "ratings": IMPACT,
    "leaders": LEADER_RATINGS,
    "practice": PRACTICE_ANSWERS,
}


def impact_of(school: School, rows: Batch) -> ImpactSummary:
    plan = owned(rows["event"], school.id).plan
    return impact_from(rows["ratings"], plan, rows["leaders"], rows["practice"])


async def participants_page(
    db: Db,
    school_id: str,
    event_id: str,
    stage: str | None,
    attention: str | None,
    after: str,
    limit: int,
) -> ParticipantPage:
    """Participants with their answers, a page at a time (ordered by id)."""
    event = await owned_event(db, school_id, event_id)
    query = select(Participant).where(Participant.event_id == event.id, col(Participant.id) > after)
    if stage:
        query = query.where(Participant.stage == stage)
    if attention:
        query = query.where(*attention_filter(attention))
    people = (await db.exec(query.order_by(col(Participant.id)).limit(limit))).all()
    answers = await answers_of(db, [p.id for p in people])
    by_person: dict[str, list[AnswerOut]] = {}
    for a in answers:
        by_person.setdefault(a.participant_id, []).append(AnswerOut.of(a))
    return ParticipantPage(
        items=[ParticipantStatus.of(p, by_person.get(p.id, [])) for p in people],
        next_cursor=people[-1].id if len(people) == limit else None,
    )


async def answers_of(db: Db, participant_ids: list[str]) -> Sequence[Answer]:
    query = select(Answer).where(col(Answer.participant_id).in_(participant_ids))
    return (await db.exec(query)).all()
