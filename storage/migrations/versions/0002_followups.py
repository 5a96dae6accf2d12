"""follow-ups: timer columns on cases, followup_runs, outbox per-recipient index (issue 4)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = storage.models.UtcDateTime(timezone=True)
_CASE_TIMES = (
    "next_due_at",
    "sign_reminded_for",
    "sign_alerted_for",
    "warned_for",
    "overdue_alerted_for",
    "escalated_for",
    "callback_for",
    "callback_sent_at",
    "comment_open_until",
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in _CASE_TIMES:
            batch_op.add_column(sa.Column(name, _UTC, nullable=True))
        batch_op.add_column(sa.Column("clocks_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("feedback_resolved", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("satisfaction", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_cases_next_due",
            ["next_due_at"],
            unique=False,
            postgresql_where=sa.text("next_due_at IS NOT NULL"),
            sqlite_where=sa.text("next_due_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_cases_unplanned",
            ["id"],
            unique=False,
            postgresql_where=sa.text("clocks_version IS DISTINCT FROM version"),
            sqlite_where=sa.text("clocks_version IS NOT version"),
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_recipient_open",
            ["channel", "recipient", "id"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'held')"),
            sqlite_where=sa.text("status IN ('pending', 'held')"),
        )
    op.create_table(
        "followup_runs",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("kind", "period"),
    )


def downgrade() -> None:
    op.drop_table("followup_runs")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient_open")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_unplanned")
        batch_op.drop_index("ix_cases_next_due")
        for name in ("satisfaction", "feedback_resolved", "clocks_version", *_CASE_TIMES):
            batch_op.drop_column(name)
