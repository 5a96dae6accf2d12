"""Intake drafts, keyed by channel and user, so a conversation survives a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Draft


async def load_draft(*, session: AsyncSession, channel: str, user_id: str) -> Draft | None:
    return await session.get(Draft, (channel, user_id))


async def save_draft(
    *,
    session: AsyncSession,
    channel: str,
    user_id: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    draft = await session.get(Draft, (channel, user_id))
    if draft is None:
        session.add(Draft(channel=channel, user_id=user_id, step=step, data=data, updated_at=now))
        return
    draft.step = step
    # A new dict object, so the JSON column is seen as changed.
    draft.data = dict(data)
    draft.updated_at = now


async def delete_draft(*, session: AsyncSession, channel: str, user_id: str) -> None:
    await session.execute(delete(Draft).where(Draft.channel == channel, Draft.user_id == user_id))
