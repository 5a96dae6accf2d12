"""Who is writing: the staff membership and the open draft of one chat identity, in one query.

Every inbound message needs both (staff go to the work desk, residents to their draft); reading
them together saves a round trip on the hottest path of the bot. On PostgreSQL the inbound
dedupe claim (`storage.inbox`) rides along in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import JSON, String, Table, and_, bindparam, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_name
from storage.guard import lock_person
from storage.inbox import claim_message
from storage.models import Draft, ProcessedMessage, StaffMember, UtcDateTime


@dataclass(frozen=True, slots=True)
class Identity:
    member: StaffMember | None
    draft: Draft | None


@cache
def _identity_statement() -> Any:
    # Built once (every inbound message runs it): a reused statement keeps its cache key, so
    # SQLAlchemy neither rebuilds nor re-keys it; the values come in as bound parameters.
    me = select(
        bindparam("channel", type_=String).label("channel"),
        bindparam("user_id", type_=String).label("user_id"),
    ).subquery("me")
    return _staff_and_draft_of(me)


def _staff_and_draft_of(me: Any) -> Any:
    """The active staff member and the draft of the one (channel, user_id) row `me` yields."""
    return (
        select(StaffMember, Draft)
        .select_from(me)
        .outerjoin(
            StaffMember,
            and_(
                StaffMember.channel == me.c.channel,
                StaffMember.external_id == me.c.user_id,
                StaffMember.active,
            ),
        )
        .outerjoin(Draft, and_(Draft.channel == me.c.channel, Draft.user_id == me.c.user_id))
    )


async def load_identity(*, session: AsyncSession, channel: str, user_id: str) -> Identity:
    """The active staff member and the draft of (channel, user_id); either may be None.

    Takes the person's turn lock first (storage.guard), so the draft read is the latest.
    """
    await lock_person(session=session, channel=channel, user_id=user_id)
    result = await session.execute(_identity_statement(), {"channel": channel, "user_id": user_id})
    member, draft = result.one()
    return Identity(member=member, draft=draft)


@cache
def _claiming_identity_statement() -> Any:
    # PostgreSQL only: the dedupe INSERT runs as a data-modifying CTE whose RETURNING row drives
    # the identity query, so a new message costs one round trip instead of two, and a
    # redelivery (the INSERT does nothing) yields no row at all.
    table = cast(Table, ProcessedMessage.__table__)
    me = (
        postgresql.insert(table)
        .values(
            channel=bindparam("channel"),
            message_id=bindparam("message_id"),
            processed_at=bindparam("processed_at", type_=table.c.processed_at.type),
        )
        .on_conflict_do_nothing()
        .returning(table.c.channel, bindparam("user_id", type_=String).label("user_id"))
        .cte("me")
    )
    return _staff_and_draft_of(me)


async def claim_and_identify(
    *, session: AsyncSession, channel: str, message_id: str, user_id: str, now: datetime
) -> Identity | None:
    """`claim_message` then `load_identity`; None if the delivery was recorded before.

    The person's turn lock (storage.guard) is taken first: a turn of the same person running in
    another instance finishes before this one reads the draft.
    """
    if dialect_name(session) == "postgresql":
        await lock_person(session=session, channel=channel, user_id=user_id)
        params = {
            "channel": channel,
            "message_id": message_id,
            "processed_at": now,
            "user_id": user_id,
        }
        row = (await session.execute(_claiming_identity_statement(), params)).one_or_none()
        return None if row is None else Identity(member=row[0], draft=row[1])
    if dialect_name(session) == "sqlite":
        return await _sqlite_claim_and_identify(
            session=session, channel=channel, message_id=message_id, user_id=user_id, now=now
        )
    if not await claim_message(session=session, channel=channel, message_id=message_id, now=now):
        return None
    return await load_identity(session=session, channel=channel, user_id=user_id)


@cache
def _sqlite_claiming_statement() -> Any:
    # SQLite cannot put an INSERT in a WITH clause, but its RETURNING may hold scalar
    # sub-queries: the claim returns the staff id and the draft's columns. Each statement costs
    # aiosqlite 3-4 thread round trips, so this saves a third of a plain message's trips.
    table = cast(Table, ProcessedMessage.__table__)
    channel, user_id = bindparam("channel", type_=String), bindparam("user_id", type_=String)

    def draft_column(column: Any) -> Any:
        return (
            select(column).where(Draft.channel == channel, Draft.user_id == user_id)
        ).scalar_subquery()

    staff_id = (
        select(StaffMember.id).where(
            StaffMember.channel == channel, StaffMember.external_id == user_id, StaffMember.active
        )
    ).scalar_subquery()
    return (
        sqlite.insert(table)
        .values(
            channel=channel,
            message_id=bindparam("message_id"),
            processed_at=bindparam("processed_at", type_=table.c.processed_at.type),
        )
        .on_conflict_do_nothing()
        .returning(
            staff_id.label("staff_id"),
            type_coerce(draft_column(Draft.step), String).label("step"),
            type_coerce(draft_column(Draft.data), JSON).label("data"),
            type_coerce(draft_column(Draft.updated_at), UtcDateTime()).label("updated_at"),
        )
    )


async def _sqlite_claim_and_identify(
    *, session: AsyncSession, channel: str, message_id: str, user_id: str, now: datetime
) -> Identity | None:
    params = {"channel": channel, "message_id": message_id, "processed_at": now, "user_id": user_id}
    row = (await session.execute(_sqlite_claiming_statement(), params)).one_or_none()
    if row is None:
        return None
    # Staff are few: their row is fetched by primary key only when there is one.
    member = await session.get(StaffMember, row.staff_id) if row.staff_id is not None else None
    draft = None
    if row.step is not None:
        # A detached copy: drafts are written by upsert (storage.drafts), not by ORM tracking.
        draft = Draft(
            channel=channel,
            user_id=user_id,
            step=row.step,
            data=row.data,
            updated_at=row.updated_at,
        )
    return Identity(member=member, draft=draft)
