"""merge2: the duplicate fingerprint once per case (cases.dupe_fingerprint), not on every
duplicate index row (issue 13: cheaper detection on filing)

Revision ID: 0012_merge2
Revises: 0011_web2
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_merge2"
down_revision: str | None = "0011_web2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOVED = ("features", "places", "numbers", "recurrence", "subdistrict", "latitude", "longitude")
_KEYS = sa.table(
    "duplicate_keys",
    sa.column("case_id", sa.Integer()),
    sa.column("place_key", sa.String()),
    sa.column("features", sa.JSON()),
    sa.column("places", sa.JSON()),
    sa.column("numbers", sa.JSON()),
    sa.column("recurrence", sa.Boolean()),
    sa.column("subdistrict", sa.String()),
    sa.column("latitude", sa.Float()),
    sa.column("longitude", sa.Float()),
)
_CASES = sa.table("cases", sa.column("id", sa.Integer()), sa.column("dupe_fingerprint", sa.JSON()))


def upgrade() -> None:
    op.add_column("cases", sa.Column("dupe_fingerprint", sa.JSON(), nullable=True))
    bind = op.get_bind()
    done: set[int] = set()
    # Every index row of a case carries the same fingerprint: the first one seen is kept, in the
    # compact form of handlers/cases/commands/duplicates.py (`pack_fingerprint`).
    for row in bind.execute(sa.select(_KEYS)).mappings():
        if row["case_id"] in done:
            continue
        done.add(row["case_id"])
        features = dict(row["features"] or {})
        packed = {
            "f": features,
            "w": float(sum(features.values())),
            "p": list(row["places"] or []),
            "n": list(row["numbers"] or []),
            "r": bool(row["recurrence"]),
            "sd": row["subdistrict"],
            "lat": row["latitude"],
            "lon": row["longitude"],
        }
        bind.execute(
            _CASES.update().where(_CASES.c.id == row["case_id"]).values(dupe_fingerprint=packed)
        )
    with op.batch_alter_table("duplicate_keys") as batch:
        for column in _MOVED:
            batch.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("duplicate_keys") as batch:
        batch.add_column(sa.Column("features", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("places", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("numbers", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("recurrence", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("subdistrict", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    bind = op.get_bind()
    # Every index row gets its case's fingerprint back.
    rows = bind.execute(
        sa.select(_CASES.c.id, _CASES.c.dupe_fingerprint).where(
            _CASES.c.id.in_(sa.select(_KEYS.c.case_id))
        )
    )
    for case_id, packed in rows.all():
        packed = packed or {}
        bind.execute(
            _KEYS.update()
            .where(_KEYS.c.case_id == case_id)
            .values(
                features=packed.get("f", {}),
                places=packed.get("p", []),
                numbers=packed.get("n", []),
                recurrence=bool(packed.get("r")),
                subdistrict=packed.get("sd"),
                latitude=packed.get("lat"),
                longitude=packed.get("lon"),
            )
        )
    op.drop_column("cases", "dupe_fingerprint")
