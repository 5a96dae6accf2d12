"""Migration 0004_kb creates the knowledge-base tables exactly as the models declare them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import create_engine
from storage.models import Base


async def test_migrated_kb_tables_match_the_models(db_url: str) -> None:
    """Autogenerate finds no difference touching kb_queries or kb_proposals after the upgrade."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert [d for d in diffs if "kb_" in repr(d)] == []
