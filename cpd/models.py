"""App database tables (SQLModel).

The app DB holds who the school is, what it triggered and a projection of
each follow-through for leaders' lists. The workflow itself is the source of
truth for a participant's live state; activities keep the projection current.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Dialect,
    Index,
    UniqueConstraint,
    and_,
    literal,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, col

from cpd.plans import Plan


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stored and returned as aware UTC on every backend.

    SQLite drops the offset on the way back; without this a leader would see
    naive times that silently mean UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = False) -> Column:
    return Column(UtcDateTime(), nullable=nullable)


class School(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # The school's SchoolCalendar as JSON: time zone, working days, closures, send window.
    calendar_json: str = Field(default="{}")
    # The school's Branding as JSON: sender name, sign-off, logo, copy overrides.
    branding_json: str = Field(default="{}")
    # At most this many emails to one teacher a week (activities/budget.py); None: the
    # service's default (Settings.email_budget_per_week).
    email_budget_per_week: int | None = Field(default=None)
    # What teachers read: "en" or "cy" (Welsh); a teacher's own language overrides it.
    language: str = Field(default="en", max_length=8)
    trust_id: str | None = Field(default=None, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True)
    # The public prefix finds the row; only a hash of the secret is stored.
    prefix: str = Field(unique=True, max_length=32)
    key_hash: str = Field(max_length=128)
    label: str = Field(default="", max_length=200)
    # What the key may do, space-separated (API_KEY_SCOPES): an MIS integration that only
    # triggers and reads cannot erase anyone.
    scopes: str = Field(default="trigger read", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


# trigger: start and change follow-throughs and the school's settings; read: statuses,
# answers and exports; erase: erasure of a person's data (a DPO's key).
API_KEY_SCOPES = ("trigger", "read", "erase")
DEFAULT_KEY_SCOPES = ("trigger", "read")


class Event(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("school_id", "reference"),)

    id: str = Field(primary_key=True, max_length=64)
    school_id: str = Field(foreign_key="school.id", index=True)
    # The school's own reference for the event: posting it again is a no-op.
    reference: str = Field(max_length=120)
    title: str = Field(max_length=200)
    plan_id: str = Field(max_length=64)
    # A snapshot of the plan as triggered: later plan edits never reach running workflows.
    plan_json: str
    event_date: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

    @property
    def plan(self) -> Plan:
        return Plan.model_validate_json(self.plan_json)


class Participant(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        # A teacher's follow-throughs at a school, for their portfolio link (cpd/revocation.py).
        Index("ix_participant_school_email", "school_id", "email"),
        # Leaders' lists have an index each (below); their counts are running totals.
    )

    id: str = Field(primary_key=True, max_length=64)
    event_id: str = Field(foreign_key="event.id", index=True)
    school_id: str = Field(foreign_key="school.id", index=True)
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    # "en" or "cy" for this teacher; "" follows the school's language (cpd/i18n.py).
    language: str = Field(default="", max_length=8)
    workflow_id: str = Field(max_length=200)
    # 0 for those posted with the event; each later addition is the next batch.
    batch: int = Field(default=0)
    # Projection of the workflow's state, written by activities.
    stage: str = Field(default="scheduled", max_length=40)
    current_step_id: str | None = Field(default=None, max_length=64)
    next_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    needs_help: bool = False
    # Set when the address refused mail permanently (SMTP 5xx): leaders must fix it.
    email_bounced: bool = False
    missed_count: int = 0  # steps whose answer window closed unanswered
    paused: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


def _fixed(value: Any) -> ColumnElement[Any]:
    # Written into the SQL, not bound: a database uses a partial index only where it
    # can see that the query's condition implies the index's, and a parameter hides that.
    return literal(value, literal_execute=True)


# A leader's attention lists: who is in each. Defined once, here, because the
# lists' partial indexes below need the same conditions the reports filter on.
ATTENTION_LISTS: dict[str, list[ColumnElement[bool]]] = {
    "needs_help": [col(Participant.needs_help).is_(True)],
    "overdue": [
        col(Participant.missed_count) > _fixed(0),
        col(Participant.stage) != _fixed("withdrawn"),
        col(Participant.email_bounced).is_(False),  # listed as bounced instead
    ],
    "bounced": [col(Participant.email_bounced).is_(True)],
    "paused": [col(Participant.paused).is_(True)],
    "withdrawn": [col(Participant.stage) == _fixed("withdrawn")],
}
# The first names on each list come straight from its own small index, in name order
# (with the id, so the table itself is not read).
for _kind, _when in ATTENTION_LISTS.items():
    Index(
        f"ix_participant_on_{_kind}",
        Participant.event_id,
        Participant.name,
        Participant.id,
        sqlite_where=and_(*_when),
        postgresql_where=and_(*_when),
    )


class LinkVersion(SQLModel, table=True):
    """A participant's link version; links signed with an older one are revoked.

    Raised when the school corrects the address or the teacher asks for fresh links.
    No row: version 0. A table of its own, so existing databases gain it as they start.
    """

    participant_id: str = Field(primary_key=True, max_length=64)
    version: int = 0


class EmailSend(SQLModel, table=True):
    # Leaders' response rates count first emails per step of an event from this index.
    __table_args__ = (Index("ix_emailsend_report", "event_id", "purpose", "status", "step_id"),)

    # The send key is the exactly-once guard: one row per message ever meant.
    send_key: str = Field(primary_key=True, max_length=200)
    participant_id: str = Field(index=True, max_length=64)
    event_id: str = Field(default="", max_length=64)
    purpose: str = Field(default="initial", max_length=20)  # initial | reminder | support
    step_id: str = Field(default="", max_length=64)
    # The unguessable part of this email's Reply-To address (reply+<code>@domain).
    reply_code: str = Field(default="", index=True, max_length=40)
    message_id: str = Field(max_length=255)
    to_addr: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    # sending: claimed, nothing handed over yet (safe to send again after a crash)
    # handed_over: the message went to the server; the outcome was not recorded
    # sent | bounced: settled
    status: str = Field(default="sending", max_length=20)
    error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Answer(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("participant_id", "step_id"),
        # Response rates and impact summaries group an event's answers from this index.
        Index("ix_answer_report", "event_id", "step_id", "choice", "late"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: str = Field(index=True, max_length=64)
    event_id: str = Field(default="", max_length=64)
    school_id: str = Field(index=True, max_length=64)
    step_id: str = Field(max_length=64)
    choice: str = Field(default="", max_length=40)
    text: str = Field(default="")
    # Named parts of a structured answer (an action plan's class, frequency...), as JSON.
    fields_json: str = Field(default="{}")
    late: bool = False
    # May the CPD lead read the words? cpd/privacy.py decides: a reflection is private
    # unless the teacher ticked "share with my CPD lead".
    shared: bool = False
    answered_at: datetime = Field(sa_column=_ts())


class HelpRequest(SQLModel, table=True):
    """A teacher asked for help on a step: the CPD lead is told (batched, in school hours),
    marks it in hand, then supported; "supported" clears the teacher's flag."""

    __table_args__ = (UniqueConstraint("participant_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(index=True, max_length=64)
    event_id: str = Field(max_length=64)
    participant_id: str = Field(index=True, max_length=64)
    step_id: str = Field(max_length=64)
    # What the teacher wrote with it (a check-in's words are the CPD lead's to read).
    text: str = Field(default="", max_length=5000)
    status: str = Field(default="open", max_length=20)  # open | in_hand | supported
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    notified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    supported_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # The teacher's next step email asks whether the support helped: this is its send key.
    followup_send_key: str = Field(default="", max_length=200)
    # Their answer: True it helped; False they still want help (the request opens again).
    helped: bool | None = Field(default=None)
    helped_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class LeaderCheck(SQLModel, table=True):
    """A Guskey level 3 question put to one CPD lead about one event's step: have the staff
    had the time and resources to embed it? Asked once (services/leader_checks.py)."""

    __table_args__ = (UniqueConstraint("event_id", "step_id", "leader_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(index=True, max_length=64)
    event_id: str = Field(index=True, max_length=64)
    step_id: str = Field(max_length=64)
    leader_id: int = Field(index=True)
    # The unguessable part of the email's Reply-To (lead+<code>@domain).
    reply_code: str = Field(index=True, max_length=40)
    sent_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    rating: int | None = Field(default=None, ge=1, le=5)
    text: str = Field(default="", max_length=5000)
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class LeadEmail(SQLModel, table=True):
    """One email to a leader, by a key such as help:<school>:<leader>:<day>: the first to
    claim it sends it, so several workers never send the same one twice."""

    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DigestOptOut(SQLModel, table=True):
    """A CPD lead who switched off the weekly summary (services/digest.py)."""

    leader_id: int = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class UnclearReply(SQLModel, table=True):
    """An emailed reply we could not read as one of the choices: kept, and offered back to
    the teacher with the answer page, so their words go with the answer they tap."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: str = Field(index=True, max_length=64)
    step_id: str = Field(max_length=64)
    text: str = Field(default="", max_length=5000)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class EmailBudgetSlot(SQLModel, table=True):
    """One email counted against a teacher's weekly budget, across all their events.

    At most ``per_week`` slots exist per (teacher, week): the UNIQUE slot number
    makes two workers racing for the last slot collide instead of both sending.
    """

    __table_args__ = (UniqueConstraint("teacher_key", "week_start", "slot"),)

    send_key: str = Field(primary_key=True, max_length=200)
    teacher_key: str = Field(index=True, max_length=64)
    week_start: date
    slot: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Evidence(SQLModel, table=True):
    """A piece of evidence a teacher shared: text, a link, or a file kept on disk."""

    id: str = Field(primary_key=True, max_length=32)
    school_id: str = Field(index=True, max_length=64)
    participant_id: str = Field(index=True, max_length=64)
    step_id: str = Field(default="", max_length=64)  # "" when added from the portfolio
    note: str = Field(default="", max_length=2000)
    link: str = Field(default="", max_length=2000)
    # Files live outside the DB rows, under the evidence folder, named by id only.
    filename: str = Field(default="", max_length=200)
    content_type: str = Field(default="", max_length=100)
    size: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Trust(SQLModel, table=True):
    """A multi-academy trust: sees a roll-up across its schools."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)


class Leader(SQLModel, table=True):
    """Someone who signs in to the dashboard by magic link.

    Roles: ``cpd_lead`` sees everything at their school; ``leader`` sees
    aggregates and the names of who needs support; ``trust`` sees the trust's
    schools rolled up.
    """

    __table_args__ = (UniqueConstraint("email", "school_id", "trust_id"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, max_length=320)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    school_id: str | None = Field(default=None, foreign_key="school.id")
    trust_id: str | None = Field(default=None, foreign_key="trust.id")


class StepCount(SQLModel, table=True):
    """Running totals per event and step, kept in the same transaction as each change.

    Leaders' response rates read these few rows instead of counting thousands.
    """

    event_id: str = Field(primary_key=True, max_length=64)
    step_id: str = Field(primary_key=True, max_length=64)
    sent: int = 0  # participants whose first email for the step went out
    answered: int = 0
    late: int = 0


class ChoiceCount(SQLModel, table=True):
    """Answers per event, step and choice, kept with StepCount (cpd/counters.py).

    Impact summaries read these few rows instead of grouping thousands of answers."""

    event_id: str = Field(primary_key=True, max_length=64)
    step_id: str = Field(primary_key=True, max_length=64)
    choice: str = Field(primary_key=True, max_length=40)
    answers: int = 0


class EventCensus(SQLModel, table=True):
    """Running totals per event and stage: people, and how many of them are on each
    attention list (cpd/census.py keeps them, in the transaction of each change).

    Leaders' status reads these few rows instead of counting thousands."""

    event_id: str = Field(primary_key=True, max_length=64)
    stage: str = Field(primary_key=True, max_length=40)
    people: int = 0
    needs_help: int = 0
    overdue: int = 0
    bounced: int = 0
    paused: int = 0
    withdrawn: int = 0


class DashboardSession(SQLModel, table=True):
    """A signed-in dashboard session, named by the random token in its cookie.

    Only the token's hash is kept, so this table signs nobody in. Sign-out deletes the
    row; a session whose leader was removed or given another role, or whose sign-in
    provider was removed, is refused from then on (services/sessions.py).
    """

    token_hash: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=20)
    scope: str = Field(max_length=64)
    email: str = Field(default="", max_length=320)
    # What let them in: a leader (by emailed link or their school's sign-in provider), or
    # a provider alone ("anyone from these domains signs in as a leader"). api_key_id is
    # from before API keys stopped signing in to the dashboard: such a session no longer
    # stands.
    leader_id: int | None = Field(default=None, index=True)
    api_key_id: int | None = Field(default=None, index=True)
    provider_id: int | None = Field(default=None, index=True)
    # The person leads more than one school or trust: the nav offers "Switch school".
    can_switch: bool = False
    # Every form of the signed-in dashboard carries it back (api/csrf.py).
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())


class UsedSignInLink(SQLModel, table=True):
    """An emailed sign-in link already used: each signs in once. Kept for the link's
    lifetime, after which its signature refuses it anyway."""

    token_hash: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SchoolPlan(SQLModel, table=True):
    """One version of a school's own plan. Saving an edit adds the next version; a version
    is never changed, and an event keeps the copy it started with (Event.plan_json)."""

    __table_args__ = (UniqueConstraint("school_id", "plan_key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True)
    # The plan's id (Plan.id), the same for all its versions.
    plan_key: str = Field(max_length=48)
    version: int
    name: str = Field(max_length=120)
    plan_json: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Who saved it: a leader's address, or "api" for an API key.
    created_by: str = Field(default="", max_length=320)

    @property
    def plan(self) -> Plan:
        return Plan.model_validate_json(self.plan_json)


class SignInProvider(SQLModel, table=True):
    """A school's or a trust's own sign-in (OpenID Connect): Microsoft, Google or another
    provider. Who gets in, and as what, is services/oidc.py; docs/SECURITY.md says what is
    checked."""

    id: int | None = Field(default=None, primary_key=True)
    school_id: str | None = Field(default=None, foreign_key="school.id", index=True)
    trust_id: str | None = Field(default=None, foreign_key="trust.id", index=True)
    kind: str = Field(max_length=20)  # microsoft | google | oidc
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=300)
    # Encrypted with a key derived from the app's secret (cpd/sealed.py); never shown.
    client_secret: str = Field(default="", max_length=2000)
    # Space-separated, lower case: whose accounts it may sign in.
    email_domains: str = Field(default="", max_length=1000)
    tenant_ids: str = Field(default="", max_length=1000)  # Microsoft Entra tenants (tid)
    # "": only people already leaders here get in, with their role; "leader": anyone
    # from the email domains signs in as a leader (aggregates, no names).
    others_as: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
