"""What Alembic's autogenerate finds between a migrated database and the models: a migration
that created its tables as declared leaves nothing that touches them."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import create_engine
from storage.models import Base


async def schema_diffs(db_url: str) -> list[Any]:
    """The differences between the database at `db_url` and `storage.models`."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diffs: list[Any] = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    return diffs
