"""Intake drafts, keyed by channel and user, so a conversation survives a restart."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.dialect import dialect_name, insert_for
from storage.models import Draft


async def load_draft(*, session: AsyncSession, channel: str, user_id: str) -> Draft | None:
    return await session.get(Draft, (channel, user_id))


def _key(channel: str, user_id: str) -> Any:
    return inspect(Draft).identity_key_from_primary_key((channel, user_id))


@cache
def _upsert(dialect: str) -> Any:
    # Built once per dialect (every step of a dialog saves the draft): one INSERT .. ON CONFLICT
    # DO UPDATE instead of a look-up then an ORM flush, against the Table so no ORM machinery
    # runs. A reused statement keeps its cache key, so SQLAlchemy neither rebuilds nor re-keys it.
    table = Draft.__table__
    statement = insert_for(dialect, table).values(
        channel=bindparam("channel"),
        user_id=bindparam("user_id"),
        step=bindparam("step"),
        data=bindparam("data", type_=table.c.data.type),
        updated_at=bindparam("updated_at", type_=table.c.updated_at.type),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.channel, table.c.user_id],
        set_={"step": excluded.step, "data": excluded.data, "updated_at": excluded.updated_at},
    )


async def save_draft(
    *,
    session: AsyncSession,
    channel: str,
    user_id: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    await session.execute(
        _upsert(dialect_name(session)),
        {"channel": channel, "user_id": user_id, "step": step, "data": data, "updated_at": now},
    )
    # A Draft loaded earlier in this session (the identity query loads it) now shows what the
    # row holds, without being marked changed (that would write it a second time at flush).
    loaded = session.identity_map.get(_key(channel, user_id))
    if loaded is not None:
        set_committed_value(loaded, "step", step)
        set_committed_value(loaded, "data", dict(data))
        set_committed_value(loaded, "updated_at", now)


@cache
def _delete() -> Any:
    table = cast(Table, Draft.__table__)
    return delete(table).where(
        table.c.channel == bindparam("channel"), table.c.user_id == bindparam("user_id")
    )


async def delete_draft(*, session: AsyncSession, channel: str, user_id: str) -> None:
    await session.execute(_delete(), {"channel": channel, "user_id": user_id})
    # As the ORM's own bulk delete would: a Draft loaded earlier leaves the session with its row.
    loaded = session.identity_map.get(_key(channel, user_id))
    if loaded is not None:
        session.expunge(loaded)
