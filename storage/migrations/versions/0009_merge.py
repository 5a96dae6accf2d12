"""merge: 并单 (cases.parent_id), the duplicate index and hotspot alerts (issue 13)

Revision ID: 0009_merge
Revises: 0006_reliab_filing_key
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009_merge"
down_revision: str | None = "0006_reliab_filing_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("parent_id", sa.Integer(), nullable=True))
    # SQLite cannot add a constraint to an existing table without rebuilding it (a batch rebuild
    # would also have to carry the partial indexes of `cases`); it does not enforce foreign keys
    # by default anyway, so the constraint is made where it is enforced.
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key("fk_cases_parent_id", "cases", "cases", ["parent_id"], ["id"])
    op.create_index("ix_cases_parent_id", "cases", ["parent_id"], unique=False)
    op.create_table(
        "duplicate_keys",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("place_key", sa.String(length=96), nullable=False),
        sa.Column("subcategory", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("recurrence", sa.Boolean(), nullable=False),
        sa.Column("subdistrict", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "place_key"),
    )
    op.create_index(
        "ix_duplicate_keys_lookup",
        "duplicate_keys",
        ["subcategory", "place_key", "created_at"],
        unique=False,
    )
    op.create_index("ix_duplicate_keys_recent", "duplicate_keys", ["created_at"], unique=False)
    op.create_table(
        "hotspot_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subcategory", sa.String(length=64), nullable=False),
        sa.Column("place_key", sa.String(length=96), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subcategory", "place_key", "period", name="uq_hotspot_cell_period"),
    )
    op.create_index("ix_hotspot_alerts_at", "hotspot_alerts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hotspot_alerts_at", table_name="hotspot_alerts")
    op.drop_table("hotspot_alerts")
    op.drop_index("ix_duplicate_keys_recent", table_name="duplicate_keys")
    op.drop_index("ix_duplicate_keys_lookup", table_name="duplicate_keys")
    op.drop_table("duplicate_keys")
    op.drop_index("ix_cases_parent_id", table_name="cases")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_cases_parent_id", "cases", type_="foreignkey")
    op.drop_column("cases", "parent_id")
