"""A school may set its own weekly email budget per teacher.

Empty for every school so far: they keep the service's default
(CPD_EMAIL_BUDGET_PER_WEEK) until their CPD lead chooses another.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_budget_per_week", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("email_budget_per_week")
