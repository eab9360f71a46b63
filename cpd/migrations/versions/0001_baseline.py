"""Baseline: the schema as it stood when migrations began (December 2026).

For an empty database it creates every table. For a database made before migrations
(by the old start-up ``create_all``), it brings what is there to the same shape:
missing tables, columns (with a default for the rows already there) and indexes are
added, retired indexes dropped, and the running totals counted once from their rows.
Nothing is dropped or rewritten. The tables are frozen here: later model changes come
with migrations of their own.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cpd import census, counters, privacy
from cpd.models import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BASELINE = sa.MetaData()

ANSWER = sa.Table(
    "answer",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("school_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("choice", sa.String(length=40), nullable=False),
    sa.Column("text", sa.String(), nullable=False),
    sa.Column("fields_json", sa.String(), nullable=False),
    sa.Column("late", sa.Boolean(), nullable=False),
    sa.Column("shared", sa.Boolean(), nullable=False),
    sa.Column("answered_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("participant_id", "step_id"),
)
sa.Index("ix_answer_participant_id", ANSWER.c.participant_id, unique=False)
sa.Index(
    "ix_answer_report",
    ANSWER.c.event_id,
    ANSWER.c.step_id,
    ANSWER.c.choice,
    ANSWER.c.late,
    unique=False,
)
sa.Index("ix_answer_school_id", ANSWER.c.school_id, unique=False)
CHOICECOUNT = sa.Table(
    "choicecount",
    BASELINE,
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("choice", sa.String(length=40), nullable=False),
    sa.Column("answers", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", "step_id", "choice"),
)
DIGESTOPTOUT = sa.Table(
    "digestoptout",
    BASELINE,
    sa.Column("leader_id", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("leader_id"),
)
EMAILBUDGETSLOT = sa.Table(
    "emailbudgetslot",
    BASELINE,
    sa.Column("send_key", sa.String(length=200), nullable=False),
    sa.Column("teacher_key", sa.String(length=64), nullable=False),
    sa.Column("week_start", sa.Date(), nullable=False),
    sa.Column("slot", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("send_key"),
    sa.UniqueConstraint("teacher_key", "week_start", "slot"),
)
sa.Index("ix_emailbudgetslot_teacher_key", EMAILBUDGETSLOT.c.teacher_key, unique=False)
EMAILSEND = sa.Table(
    "emailsend",
    BASELINE,
    sa.Column("send_key", sa.String(length=200), nullable=False),
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("purpose", sa.String(length=20), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("reply_code", sa.String(length=40), nullable=False),
    sa.Column("message_id", sa.String(length=255), nullable=False),
    sa.Column("to_addr", sa.String(length=320), nullable=False),
    sa.Column("subject", sa.String(length=300), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("error", sa.String(length=1000), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.Column("sent_at", UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("send_key"),
)
sa.Index("ix_emailsend_participant_id", EMAILSEND.c.participant_id, unique=False)
sa.Index("ix_emailsend_reply_code", EMAILSEND.c.reply_code, unique=False)
sa.Index(
    "ix_emailsend_report",
    EMAILSEND.c.event_id,
    EMAILSEND.c.purpose,
    EMAILSEND.c.status,
    EMAILSEND.c.step_id,
    unique=False,
)
EVENTCENSUS = sa.Table(
    "eventcensus",
    BASELINE,
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("stage", sa.String(length=40), nullable=False),
    sa.Column("people", sa.Integer(), nullable=False),
    sa.Column("needs_help", sa.Integer(), nullable=False),
    sa.Column("overdue", sa.Integer(), nullable=False),
    sa.Column("bounced", sa.Integer(), nullable=False),
    sa.Column("paused", sa.Integer(), nullable=False),
    sa.Column("withdrawn", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", "stage"),
)
EVIDENCE = sa.Table(
    "evidence",
    BASELINE,
    sa.Column("id", sa.String(length=32), nullable=False),
    sa.Column("school_id", sa.String(length=64), nullable=False),
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("note", sa.String(length=2000), nullable=False),
    sa.Column("link", sa.String(length=2000), nullable=False),
    sa.Column("filename", sa.String(length=200), nullable=False),
    sa.Column("content_type", sa.String(length=100), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_evidence_participant_id", EVIDENCE.c.participant_id, unique=False)
sa.Index("ix_evidence_school_id", EVIDENCE.c.school_id, unique=False)
HELPREQUEST = sa.Table(
    "helprequest",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("school_id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("text", sa.String(length=5000), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.Column("notified_at", UtcDateTime(timezone=True), nullable=True),
    sa.Column("supported_at", UtcDateTime(timezone=True), nullable=True),
    sa.Column("followup_send_key", sa.String(length=200), nullable=False),
    sa.Column("helped", sa.Boolean(), nullable=True),
    sa.Column("helped_at", UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("participant_id", "step_id"),
)
sa.Index("ix_helprequest_participant_id", HELPREQUEST.c.participant_id, unique=False)
sa.Index("ix_helprequest_school_id", HELPREQUEST.c.school_id, unique=False)
LEADEMAIL = sa.Table(
    "leademail",
    BASELINE,
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key"),
)
LEADERCHECK = sa.Table(
    "leadercheck",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("school_id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("leader_id", sa.Integer(), nullable=False),
    sa.Column("reply_code", sa.String(length=40), nullable=False),
    sa.Column("sent_at", UtcDateTime(timezone=True), nullable=False),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("text", sa.String(length=5000), nullable=False),
    sa.Column("answered_at", UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("event_id", "step_id", "leader_id"),
)
sa.Index("ix_leadercheck_event_id", LEADERCHECK.c.event_id, unique=False)
sa.Index("ix_leadercheck_leader_id", LEADERCHECK.c.leader_id, unique=False)
sa.Index("ix_leadercheck_reply_code", LEADERCHECK.c.reply_code, unique=False)
sa.Index("ix_leadercheck_school_id", LEADERCHECK.c.school_id, unique=False)
LINKVERSION = sa.Table(
    "linkversion",
    BASELINE,
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("participant_id"),
)
SCHOOL = sa.Table(
    "school",
    BASELINE,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("calendar_json", sa.String(), nullable=False),
    sa.Column("branding_json", sa.String(), nullable=False),
    sa.Column("trust_id", sa.String(length=64), nullable=True),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_school_trust_id", SCHOOL.c.trust_id, unique=False)
STEPCOUNT = sa.Table(
    "stepcount",
    BASELINE,
    sa.Column("event_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("sent", sa.Integer(), nullable=False),
    sa.Column("answered", sa.Integer(), nullable=False),
    sa.Column("late", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", "step_id"),
)
TRUST = sa.Table(
    "trust",
    BASELINE,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
UNCLEARREPLY = sa.Table(
    "unclearreply",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("participant_id", sa.String(length=64), nullable=False),
    sa.Column("step_id", sa.String(length=64), nullable=False),
    sa.Column("text", sa.String(length=5000), nullable=False),
    sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_unclearreply_participant_id", UNCLEARREPLY.c.participant_id, unique=False)
APIKEY = sa.Table(
    "apikey",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("school_id", sa.String(), nullable=False),
    sa.Column("prefix", sa.String(length=32), nullable=False),
    sa.Column("key_hash", sa.String(length=128), nullable=False),
    sa.Column("label", sa.String(length=200), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ["school_id"],
        ["school.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("prefix"),
)
sa.Index("ix_apikey_school_id", APIKEY.c.school_id, unique=False)
EVENT = sa.Table(
    "event",
    BASELINE,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("school_id", sa.String(), nullable=False),
    sa.Column("reference", sa.String(length=120), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("plan_id", sa.String(length=64), nullable=False),
    sa.Column("plan_json", sa.String(), nullable=False),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    sa.Column("cancelled_at", UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ["school_id"],
        ["school.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("school_id", "reference"),
)
sa.Index("ix_event_school_id", EVENT.c.school_id, unique=False)
LEADER = sa.Table(
    "leader",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("role", sa.String(length=20), nullable=False),
    sa.Column("school_id", sa.String(), nullable=True),
    sa.Column("trust_id", sa.String(), nullable=True),
    sa.ForeignKeyConstraint(
        ["school_id"],
        ["school.id"],
    ),
    sa.ForeignKeyConstraint(
        ["trust_id"],
        ["trust.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("email", "school_id", "trust_id"),
)
sa.Index("ix_leader_email", LEADER.c.email, unique=False)
PARTICIPANT = sa.Table(
    "participant",
    BASELINE,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("school_id", sa.String(), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("workflow_id", sa.String(length=200), nullable=False),
    sa.Column("batch", sa.Integer(), nullable=False),
    sa.Column("stage", sa.String(length=40), nullable=False),
    sa.Column("current_step_id", sa.String(length=64), nullable=True),
    sa.Column("next_due_at", UtcDateTime(timezone=True), nullable=True),
    sa.Column("needs_help", sa.Boolean(), nullable=False),
    sa.Column("email_bounced", sa.Boolean(), nullable=False),
    sa.Column("missed_count", sa.Integer(), nullable=False),
    sa.Column("paused", sa.Boolean(), nullable=False),
    sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["event_id"],
        ["event.id"],
    ),
    sa.ForeignKeyConstraint(
        ["school_id"],
        ["school.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("event_id", "email"),
)
sa.Index("ix_participant_event_id", PARTICIPANT.c.event_id, unique=False)
sa.Index(
    "ix_participant_on_bounced",
    PARTICIPANT.c.event_id,
    PARTICIPANT.c.name,
    PARTICIPANT.c.id,
    unique=False,
    sqlite_where=PARTICIPANT.c.email_bounced.is_(sa.true()),
    postgresql_where=PARTICIPANT.c.email_bounced.is_(sa.true()),
)
sa.Index(
    "ix_participant_on_needs_help",
    PARTICIPANT.c.event_id,
    PARTICIPANT.c.name,
    PARTICIPANT.c.id,
    unique=False,
    sqlite_where=PARTICIPANT.c.needs_help.is_(sa.true()),
    postgresql_where=PARTICIPANT.c.needs_help.is_(sa.true()),
)
sa.Index(
    "ix_participant_on_overdue",
    PARTICIPANT.c.event_id,
    PARTICIPANT.c.name,
    PARTICIPANT.c.id,
    unique=False,
    sqlite_where=sa.and_(
        PARTICIPANT.c.missed_count > 0,
        PARTICIPANT.c.stage != "withdrawn",
        PARTICIPANT.c.email_bounced.is_(sa.false()),
    ),
    postgresql_where=sa.and_(
        PARTICIPANT.c.missed_count > 0,
        PARTICIPANT.c.stage != "withdrawn",
        PARTICIPANT.c.email_bounced.is_(sa.false()),
    ),
)
sa.Index(
    "ix_participant_on_paused",
    PARTICIPANT.c.event_id,
    PARTICIPANT.c.name,
    PARTICIPANT.c.id,
    unique=False,
    sqlite_where=PARTICIPANT.c.paused.is_(sa.true()),
    postgresql_where=PARTICIPANT.c.paused.is_(sa.true()),
)
sa.Index(
    "ix_participant_on_withdrawn",
    PARTICIPANT.c.event_id,
    PARTICIPANT.c.name,
    PARTICIPANT.c.id,
    unique=False,
    sqlite_where=PARTICIPANT.c.stage == "withdrawn",
    postgresql_where=PARTICIPANT.c.stage == "withdrawn",
)
sa.Index("ix_participant_school_email", PARTICIPANT.c.school_id, PARTICIPANT.c.email, unique=False)
sa.Index("ix_participant_school_id", PARTICIPANT.c.school_id, unique=False)

# Indexes earlier releases made that nothing reads any more.
RETIRED_INDEXES = [
    "ix_participant_census",
    "ix_participant_names",
    *(
        f"ix_participant_list_{kind}"
        for kind in ("needs_help", "overdue", "bounced", "paused", "withdrawn")
    ),
]
# Running totals added after the first release, and how each is counted from its rows.
BACKFILLS = {"eventcensus": census.backfill, "choicecount": counters.backfill_choices}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    created: set[str] = set()
    added: set[str] = set()  # table.column
    for table in BASELINE.sorted_tables:
        if table.name not in existing:
            table.create(bind)
            created.add(table.name)
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                op.add_column(table.name, _with_default(column, bind.dialect.name))
                added.add(f"{table.name}.{column.name}")
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)
    for name in RETIRED_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if existing - {"alembic_version"}:
        _bring_up_to_date(bind, created, added)


def _bring_up_to_date(bind: sa.Connection, created: set[str], added: set[str]) -> None:
    """Fill what a database from before migrations lacks, from the rows it has."""
    if "answer.event_id" in added:
        op.execute(
            "UPDATE answer SET event_id = COALESCE((SELECT p.event_id FROM participant p"
            " WHERE p.id = answer.participant_id), '')"
        )
    if "answer.shared" in added:
        # Shared with the CPD lead was the rule for every answer then; reflections are
        # made private below unless their author ticked "share".
        op.execute(sa.update(ANSWER).values(shared=True))
    if "emailsend.event_id" in added:
        op.execute(
            "UPDATE emailsend SET event_id = COALESCE((SELECT p.event_id FROM participant p"
            " WHERE p.id = emailsend.participant_id), '')"
        )
    if "emailsend.purpose" in added:
        # The send key ends with what the email was for: ...:initial, ...:reminder-2, ...
        key = EMAILSEND.c.send_key
        purpose = sa.case(
            (key.like("%:reminder-%"), "reminder"),
            (key.like("%:support"), "support"),
            else_="initial",
        )
        op.execute(sa.update(EMAILSEND).values(purpose=purpose))
    if "stepcount" in created:
        op.execute(
            "INSERT INTO stepcount (event_id, step_id, sent, answered, late)"
            " SELECT event_id, step_id, SUM(sent), SUM(answered), SUM(late) FROM ("
            "  SELECT event_id, step_id, 1 AS sent, 0 AS answered, 0 AS late FROM emailsend"
            "  WHERE purpose = 'initial' AND status IN ('sent', 'handed_over') AND event_id != ''"
            "  UNION ALL"
            "  SELECT event_id, step_id, 0, 1, CASE WHEN late THEN 1 ELSE 0 END FROM answer"
            "  WHERE event_id != ''"
            " ) AS counted GROUP BY event_id, step_id"
        )
    # The running totals that were counted at start before migrations (cpd/census.py,
    # cpd/counters.py): counted once from their rows, when their table is new.
    for name, backfill in BACKFILLS.items():
        if name in created:
            backfill(bind)
    # Reflections whose authors never ticked "share" (an old default) are private.
    privacy.unshare_unticked_reflections(bind)


def _with_default(column: sa.Column[object], dialect: str) -> sa.Column[object]:
    """A copy of ``column`` that rows already in the table can take."""
    copy = column._copy()
    if copy.nullable or copy.server_default is not None:
        return copy
    if isinstance(copy.type, sa.Boolean):
        default = "false" if dialect == "postgresql" else "0"
    elif isinstance(copy.type, sa.Integer):
        default = "0"
    elif isinstance(copy.type, sa.String):
        default = "''"
    else:
        default = "CURRENT_TIMESTAMP"
    copy.server_default = sa.DefaultClause(sa.text(default))
    return copy


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")
