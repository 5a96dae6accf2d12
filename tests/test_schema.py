"""The migrated schema and the models agree, so a column dropped from a model is also migrated."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base


def _columns(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


async def test_migrations_give_every_table_exactly_the_models_columns(db_url: str) -> None:
    """Each table after `upgrade` has the model's columns, no more (residents.language is gone)."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(_columns)
    finally:
        await engine.dispose()
    modelled = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    assert migrated == modelled
    assert "language" not in migrated["residents"]
