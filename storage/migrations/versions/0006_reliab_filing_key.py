"""reliab (issue 9): cases.filing_key, unique, so one draft is filed once across instances

Revision ID: 0006_reliab_filing_key
Revises: 0005_drop_resident_language
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reliab_filing_key"
down_revision: str | None = "0005_drop_resident_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A unique index, not a constraint: SQLite adds both the column and the index without
    # rebuilding the table. NULLs never collide, so older cases need no key.
    op.add_column("cases", sa.Column("filing_key", sa.String(length=64), nullable=True))
    op.create_index("uq_cases_filing_key", "cases", ["filing_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_cases_filing_key", table_name="cases")
    op.drop_column("cases", "filing_key")
