"""wechat: contacts (48-hour window, numbered choices) and the shared access token

Revision ID: 0003_wechat
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0003_wechat"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_contacts",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=False),
        sa.Column("last_inbound_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("kf_sent", sa.Integer(), nullable=False),
        sa.Column("menu", sa.JSON(), nullable=False),
        sa.Column("menu_current", sa.Boolean(), nullable=False),
        sa.Column("expect", sa.String(length=16), nullable=True),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("openid"),
    )
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=512), nullable=True),
        sa.Column("expires_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("app_id"),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
    op.drop_table("wechat_contacts")
