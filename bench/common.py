"""Helpers shared by benchmark sections: throwaway databases and timing."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine

PG_ADMIN_URL = os.environ.get(
    "HOTLINE_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@asynccontextmanager
async def fresh_database(kind: str, name: str = "hotline_bench") -> AsyncIterator[str]:
    """A URL to an empty database of `kind` ("sqlite" or "postgres"), dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    admin = create_engine(PG_ADMIN_URL)
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of the samples."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=1000, method="inclusive")[max(0, int(q * 1000) - 1)]


# The one resident every bulk-loaded case belongs to (a case needs a resident row).
_BENCH_RESIDENT = text(
    "INSERT INTO residents (id, channel, external_id, reachable, created_at) "
    "VALUES (1, 'telegram', '1', true, now())"
)


async def add_bench_resident(conn: AsyncConnection) -> None:
    await conn.execute(_BENCH_RESIDENT)


async def copy_rows(
    conn: AsyncConnection, tables: Sequence[tuple[str, Sequence[tuple[Any, ...]], Sequence[str]]]
) -> Any:
    """COPY each (table, rows, columns) in order through asyncpg (orders of magnitude faster
    than INSERTs for 100,000 cases); returns the driver connection for follow-up statements."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    for table, records, columns in tables:
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
    return driver
