"""What a trust sees across its schools, for one academic year: impact by Guskey level and
checkpoint, response rates and requests for help, per school and for the whole trust.

Figures only: never a name, an address or a teacher's words. They come from the running
totals the school pages read (ChoiceCount, StepCount, EventCensus: a few rows per event),
for the events of the year; each event's ratings go through ``reports.impact_from``, the
one piece of code that turns ratings into checkpoints, and are then pooled by level and
month with the same ``reports.mean_of``. Requests for help are counted from their own rows
(one per request, as an event's page counts them).

A figure drawn from fewer than 5 teachers is shown as "fewer than 5", never the number or
the mean: in a small school a count of 2 or a mean of 3 ratings can say who.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, func, select

from cpd.db import Db
from cpd.models import ChoiceCount, Event, EventCensus, HelpRequest, School, StepCount, Trust
from cpd.plans import IMPACT_CHOICES
from services import reports
from services.dashboard import support_from
from services.errors import NotFound
from services.export import _safe

SMALL_GROUP = 5
FEWER = "fewer than 5"
WITHHELD = "not shown"  # held back so that a small group's figure cannot be worked out
LEVELS = {
    1: "Reactions",
    2: "Learning",
    3: "Support from the school",
    4: "Teachers' practice",
    5: "Pupils' learning",
}
# Requests for help as a trust sees them: where they stand, and whether support helped.
SUPPORT = {"open": "New", "in_hand": "In hand", "supported": "Supported", "helped": "Helped"}

Shown = int | float | str | None  # a figure, FEWER, or None where there is nothing yet
Checkpoint = tuple[int, int]  # (Guskey level, month)


def checkpoint_title(cp: Checkpoint) -> str:
    level, month = cp
    when = "at the start" if month == 0 else f"at {month} month{'s' if month != 1 else ''}"
    return f"Level {level}, {LEVELS.get(level, '')}, {when}"


@dataclass(frozen=True)
class AcademicYear:
    """September to August, named by the autumn it starts in; events count by their date."""

    autumn: int

    @classmethod
    def of(cls, day: date) -> AcademicYear:
        return cls(day.year if day.month >= 9 else day.year - 1)

    @property
    def start(self) -> date:
        return date(self.autumn, 9, 1)

    @property
    def end(self) -> date:
        return date(self.autumn + 1, 8, 31)

    @property
    def label(self) -> str:
        return f"September {self.autumn} to August {self.autumn + 1}"


@dataclass
class Tally:
    """Raw totals of some events: never shown as they are (``figures`` hides small ones)."""

    events: int = 0
    teachers: int = 0
    asked: int = 0
    answered: int = 0
    ratings: dict[Checkpoint, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(IMPACT_CHOICES, 0))
    )
    support: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUPPORT, 0))

    def add(self, other: Tally) -> None:
        self.events += other.events
        self.teachers += other.teachers
        self.asked += other.asked
        self.answered += other.answered
        for cp, dist in other.ratings.items():
            for choice, n in dist.items():
                self.ratings[cp][choice] += n
        for kind, n in other.support.items():
            self.support[kind] += n


@dataclass(frozen=True)
class Figures:
    """One row of the trust's tables and export: the trust, a school or an event."""

    name: str
    key: str  # a school's id (for its link), an event's date, or "" for the trust
    events: int
    teachers: Shown
    asked: Shown
    answered: Shown
    response_rate: Shown  # a fraction 0-1
    impact: dict[Checkpoint, tuple[Shown, Shown]]  # answers, mean
    support: dict[str, Shown]


def small(n: int) -> Shown:
    return FEWER if 0 < n < SMALL_GROUP else n


def counts(t: Tally) -> dict[str, int]:
    """The tally's figures by name, for ``withheld``: teachers, questions, help, ratings."""
    out = {"teachers": t.teachers, "asked": t.asked, "answered": t.answered}
    out |= {f"support:{kind}": n for kind, n in t.support.items()}
    out |= {f"impact:{cp}": sum(dist.values()) for cp, dist in t.ratings.items()}
    return out


def withheld(parts: Sequence[Tally]) -> list[set[str]]:
    """Figures of the parts (schools, or a school's events) to hold back beside the small
    ones, so that a small group's figure cannot be worked out as the whole's figure less
    the parts shown: while the hidden parts add up to fewer than 5, the smallest part
    shown is held back too."""
    out: list[set[str]] = [set() for _ in parts]
    per_part = [counts(t) for t in parts]
    for name in {n for c in per_part for n in c}:
        values = [c.get(name, 0) for c in per_part]
        hidden = {i for i, v in enumerate(values) if 0 < v < SMALL_GROUP}
        while hidden and sum(values[i] for i in hidden) < SMALL_GROUP:
            shown = [i for i, v in enumerate(values) if v and i not in hidden]
            if not shown:
                break  # then the whole is fewer than 5 too, and hidden as such
            smallest = min(shown, key=lambda i: values[i])
            hidden.add(smallest)
            out[smallest].add(name)
    return out


def figures(
    name: str,
    key: str,
    t: Tally,
    checkpoints: Sequence[Checkpoint],
    held: set[str] | frozenset[str] = frozenset(),
) -> Figures:
    """What may be shown of a tally: small figures as FEWER, ``held`` ones as WITHHELD."""

    def show(figure: str, n: int) -> Shown:
        return WITHHELD if figure in held else small(n)

    impact: dict[Checkpoint, tuple[Shown, Shown]] = {}
    for cp in checkpoints:
        dist = t.ratings.get(cp) or {}
        n = show(f"impact:{cp}", sum(dist.values()))
        impact[cp] = (n, reports.mean_of(dist) if isinstance(n, int) and n else None)
    asked, answered = show("asked", t.asked), show("answered", t.answered)
    rate: Shown = None
    if t.asked:
        both = isinstance(asked, int) and isinstance(answered, int)
        rate = t.answered / t.asked if both else FEWER if asked == FEWER else WITHHELD
    return Figures(
        name=name,
        key=key,
        events=t.events,
        teachers=show("teachers", t.teachers),
        asked=asked,
        answered=answered,
        response_rate=rate,
        impact=impact,
        support={kind: show(f"support:{kind}", n) for kind, n in t.support.items()},
    )


@dataclass(frozen=True)
class TrustView:
    trust: Trust
    year: AcademicYear
    years: list[AcademicYear]
    checkpoints: list[Checkpoint]
    whole: Figures
    rows: list[Figures]  # each school (trust view), or each event (a school's view)
    school: School | None = None


async def trust_view(db: Db, trust_id: str, year: AcademicYear, current: AcademicYear) -> TrustView:
    """The trust's schools, each with its figures for the year, and the trust's; the years
    offered run to the ``current`` one."""
    trust = await db.get(Trust, trust_id)
    if trust is None:
        raise NotFound("No such trust.")
    schools = (
        await db.exec(select(School).where(School.trust_id == trust_id).order_by(col(School.name)))
    ).all()
    events = await _events(db, [s.id for s in schools], year)
    tallies = await _tallies(db, events)
    by_school: dict[str, Tally] = defaultdict(Tally)
    whole = Tally()
    for e in events:
        by_school[e.school_id].add(tallies[e.id])
        whole.add(tallies[e.id])
    cps = sorted(whole.ratings)
    parts = [by_school[s.id] for s in schools]
    return TrustView(
        trust=trust,
        year=year,
        years=await _years(db, [s.id for s in schools], year, current),
        checkpoints=cps,
        whole=figures(trust.name, "", whole, cps),
        rows=[
            figures(s.name, s.id, t, cps, held)
            for s, t, held in zip(schools, parts, withheld(parts), strict=True)
        ],
    )


async def school_view(
    db: Db, trust_id: str, school_id: str, year: AcademicYear, current: AcademicYear
) -> TrustView:
    """One of the trust's schools: its figures for the year, and each event's."""
    school = await db.get(School, school_id)
    trust = await db.get(Trust, trust_id)
    if school is None or trust is None or school.trust_id != trust_id:
        raise NotFound("No such school in this trust.")
    events = await _events(db, [school.id], year)
    tallies = await _tallies(db, events)
    whole = Tally()
    for e in events:
        whole.add(tallies[e.id])
    cps = sorted(whole.ratings)
    events.sort(key=lambda e: (e.event_date, e.title))
    parts = [tallies[e.id] for e in events]
    return TrustView(
        trust=trust,
        year=year,
        years=await _years(db, [school.id], year, current),
        checkpoints=cps,
        whole=figures(school.name, school.id, whole, cps),
        rows=[
            figures(e.title, e.event_date.strftime("%-d %B %Y"), t, cps, held)
            for e, t, held in zip(events, parts, withheld(parts), strict=True)
        ],
        school=school,
    )


async def _events(db: Db, school_ids: list[str], year: AcademicYear) -> list[Event]:
    query = select(Event).where(
        col(Event.school_id).in_(school_ids),
        col(Event.event_date) >= year.start,
        col(Event.event_date) <= year.end,
    )
    return list((await db.exec(query)).all())


async def _years(db: Db, school_ids: list[str], *shown: AcademicYear) -> list[AcademicYear]:
    """Every academic year from the first event's to the last's, and those ``shown``."""
    dated = select(func.min(Event.event_date), func.max(Event.event_date)).where(
        col(Event.school_id).in_(school_ids)
    )
    first, last = (await db.exec(dated)).one()
    autumns = {y.autumn for y in shown}
    if first is not None and last is not None:
        autumns |= set(range(AcademicYear.of(first).autumn, AcademicYear.of(last).autumn + 1))
    return [AcademicYear(a) for a in sorted(autumns, reverse=True)]


async def _tallies(db: Db, events: list[Event]) -> dict[str, Tally]:
    """Each event's totals, from a few grouped reads of running totals for all of them."""
    ids = [e.id for e in events]
    out = {e.id: Tally(events=1) for e in events}
    if not ids:
        return out
    choices = await db.exec(
        select(
            ChoiceCount.event_id, ChoiceCount.step_id, ChoiceCount.choice, ChoiceCount.answers
        ).where(col(ChoiceCount.event_id).in_(ids), col(ChoiceCount.choice).in_(IMPACT_CHOICES))
    )
    ratings: dict[str, list[Any]] = defaultdict(list)
    for row in choices.all():
        ratings[row[0]].append(row)
    steps = (await db.exec(select(StepCount).where(col(StepCount.event_id).in_(ids)))).all()
    counted: dict[str, list[StepCount]] = defaultdict(list)
    for c in steps:
        counted[c.event_id].append(c)
    people = await db.exec(
        select(EventCensus.event_id, func.sum(EventCensus.people))
        .where(col(EventCensus.event_id).in_(ids))
        .group_by(col(EventCensus.event_id))
    )
    for event_id, n in people.all():
        out[event_id].teachers = int(n or 0)
    help_rows = await db.exec(
        select(HelpRequest.event_id, HelpRequest.status, HelpRequest.helped, func.count())
        .where(
            col(HelpRequest.school_id).in_({e.school_id for e in events}),
            col(HelpRequest.event_id).in_(ids),
        )
        .group_by(col(HelpRequest.event_id), col(HelpRequest.status), col(HelpRequest.helped))
    )
    by_event: dict[str, list[tuple[str, bool | None, int]]] = defaultdict(list)
    for event_id, status, helped, n in help_rows.all():
        by_event[event_id].append((status, helped, n))
    for e in events:
        t, plan = out[e.id], e.plan
        answered_steps = {s.id for s in plan.steps if s.expects_answer}
        for c in counted[e.id]:
            if c.step_id in answered_steps:
                t.asked += c.sent
                t.answered += c.answered
        for cp in reports.impact_from(ratings[e.id], plan).checkpoints:
            for choice, n in cp.distribution.items():
                t.ratings[(cp.guskey_level, cp.month)][choice] += n
        support = support_from(by_event[e.id])
        t.support = {kind: support.get(kind, 0) for kind in SUPPORT}
    return out


def export_csv(view: TrustView) -> str:
    """The same figures as the page, one row each for the whole and its parts; no names of
    people (schools' and events' names only)."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 correctly with a BOM
    writer = csv.writer(out)
    part = "Event" if view.school else "School"
    head = [part, "Date" if view.school else "", "Events", "Teachers", "Questions asked"]
    head += ["Answered", "Response rate"] + [f"Help requests: {v}" for v in SUPPORT.values()]
    for cp in view.checkpoints:
        head += [f"{checkpoint_title(cp)}: answers", f"{checkpoint_title(cp)}: mean"]
    writer.writerow([h for h in head if h])
    whole_name = f"{view.whole.name} (whole {'school' if view.school else 'trust'})"
    for row, name in [(view.whole, whole_name)] + [(r, r.name) for r in view.rows]:
        cells: list[Shown] = [_safe(name)]
        if view.school:
            cells.append(row.key if row is not view.whole else view.year.label)
        cells += [row.events, row.teachers, row.asked, row.answered, _rate(row.response_rate)]
        cells += [row.support[k] for k in SUPPORT]
        for cp in view.checkpoints:
            cells += list(row.impact[cp])
        writer.writerow(["" if c is None else c for c in cells])
    return out.getvalue()


def _rate(rate: Shown) -> Shown:
    return f"{round(rate * 100)}%" if isinstance(rate, float) else rate
