"""A school's own plans, versioned: each saved edit is a new row, never a changed one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cpd.models import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schoolplan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("plan_key", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("plan_json", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "plan_key", "version"),
    )
    with op.batch_alter_table("schoolplan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schoolplan_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schoolplan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schoolplan_school_id"))
    op.drop_table("schoolplan")
