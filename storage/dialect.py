"""The one place that knows SQLite and PostgreSQL spell upserts differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports `.on_conflict_do_nothing()` / `.on_conflict_do_update()`."""
    return insert_for(dialect_name(session), table)


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(dialect: str, table: Any) -> Any:
    """`insert` for a dialect by name: hot-path statements are built once per dialect."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect: {dialect}")
