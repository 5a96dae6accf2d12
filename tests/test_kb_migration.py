"""Migration 0004_kb creates the knowledge-base tables exactly as the models declare them."""

from __future__ import annotations

from tests.schema_diff import schema_diffs


async def test_migrated_kb_tables_match_the_models(db_url: str) -> None:
    """Autogenerate finds no difference touching kb_queries or kb_proposals after the upgrade."""
    diffs = await schema_diffs(db_url)
    assert [d for d in diffs if "kb_" in repr(d)] == []
