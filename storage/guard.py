"""Per-person serialisation across instances (issue 9): one resident's turns never interleave.

Two instances behind one bot (webhook, or two pollers after a restart) can each receive one of a
resident's quick presses. An in-process lock cannot order them; the database can. On PostgreSQL a
transaction-scoped advisory lock per (channel, user) is taken *before* the statement that reads
the draft, so the second turn waits for the first to commit and then reads what it left (under
READ COMMITTED each statement takes a fresh snapshot, which is why the lock must be its own
statement and not a CTE of the draft read). On SQLite the dedupe claim is the transaction's first
statement and a write: it takes the database's single writer lock before anything is read, which
already serialises every turn.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_name

# The first key of the two-key advisory lock form: a namespace, so our per-person locks never
# collide with another application's advisory locks on the same server. ("AN" in ASCII.)
LOCK_NAMESPACE = 0x414E


@cache
def _lock_statement() -> Any:
    # hashtext maps the identity to an int4; a collision only makes two people take turns.
    return select(func.pg_advisory_xact_lock(LOCK_NAMESPACE, func.hashtext(bindparam("person"))))


def person_key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


async def lock_person(*, session: AsyncSession, channel: str, user_id: str) -> None:
    """Hold this person's turn lock until the session's transaction ends (PostgreSQL only)."""
    if dialect_name(session) == "postgresql":
        await session.execute(_lock_statement(), {"person": person_key(channel, user_id)})
