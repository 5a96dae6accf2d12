"""web2: an index on cases.created_at for the figures (the cohort is a date range)

Revision ID: 0011_web2
Revises: 0010_web
Create Date: 2026-11-28 12:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_web2"
down_revision: str | None = "0010_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_created_at")
