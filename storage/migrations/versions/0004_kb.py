"""kb: knowledge-base questions (kb_queries) and entry proposals (kb_proposals) (issue 14)

Revision ID: 0004_kb
Revises: 0003_wechat
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004_kb"
down_revision: str | None = "0003_wechat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("outcome_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_queries_asked", "kb_queries", ["asked_at"], unique=False)
    op.create_index(op.f("ix_kb_queries_entry_id"), "kb_queries", ["entry_id"], unique=False)
    op.create_table(
        "kb_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["proposed_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_kb_proposals_case_id"), "kb_proposals", ["case_id"], unique=False)
    op.create_index(op.f("ix_kb_proposals_status"), "kb_proposals", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_proposals_status"), table_name="kb_proposals")
    op.drop_index(op.f("ix_kb_proposals_case_id"), table_name="kb_proposals")
    op.drop_table("kb_proposals")
    op.drop_index(op.f("ix_kb_queries_entry_id"), table_name="kb_queries")
    op.drop_index("ix_kb_queries_asked", table_name="kb_queries")
    op.drop_table("kb_queries")
