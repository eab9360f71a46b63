"""Schools' and trusts' own sign-in (OpenID Connect) providers; a session remembers the
provider it came through, and whether its leader may switch school.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cpd.models import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signinprovider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=True),
        sa.Column("trust_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("client_secret", sa.String(length=2000), nullable=False),
        sa.Column("email_domains", sa.String(length=1000), nullable=False),
        sa.Column("tenant_ids", sa.String(length=1000), nullable=False),
        sa.Column("others_as", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["trust_id"], ["trust.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signinprovider", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signinprovider_school_id"), ["school_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signinprovider_trust_id"), ["trust_id"], unique=False)

    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("can_switch", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_dashboardsession_provider_id"), ["provider_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboardsession_provider_id"))
        batch_op.drop_column("can_switch")
        batch_op.drop_column("provider_id")

    with op.batch_alter_table("signinprovider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signinprovider_trust_id"))
        batch_op.drop_index(batch_op.f("ix_signinprovider_school_id"))

    op.drop_table("signinprovider")
