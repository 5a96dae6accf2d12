"""residents: drop the never-used language column (texts follow the deployment's language)

Revision ID: 0005_drop_resident_language
Revises: 0004_kb
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_drop_resident_language"
down_revision: str | None = "0004_kb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): the column has no index or constraint,
    # and a batch copy of `residents` would have to drop a table that cases reference.
    op.drop_column("residents", "language")


def downgrade() -> None:
    op.add_column("residents", sa.Column("language", sa.String(length=8), nullable=True))
