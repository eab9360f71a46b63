"""Dashboard sessions (server-side, revocable) and sign-in links used once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 06:22:58.948540
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cpd.models import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboardsession",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboardsession_api_key_id"), ["api_key_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dashboardsession_leader_id"), ["leader_id"], unique=False
        )

    op.create_table(
        "usedsigninlink",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("usedsigninlink")
    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboardsession_leader_id"))
        batch_op.drop_index(batch_op.f("ix_dashboardsession_api_key_id"))

    op.drop_table("dashboardsession")
