"""Who is writing: the staff membership and the open draft of one chat identity, in one query.

Every inbound message needs both (staff go to the work desk, residents to their draft); reading
them together saves a round trip on the hottest path of the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Draft, StaffMember


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
    """The active staff member and the draft of (channel, user_id); either may be None."""
    result = await session.execute(_identity_statement(), {"channel": channel, "user_id": user_id})
    member, draft = result.one()
    return Identity(member=member, draft=draft)
