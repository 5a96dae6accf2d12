"""Queueing follow-up pushes: one outbox row per recipient, with a key that names the firing.

Key: `fu:<kind>:<case_id>:<stamp>:<channel>:<recipient>`, where the stamp is the epoch second of
the deadline the timer fired for (or the case version, for a reopen). Firing the same timer
twice therefore queues nothing new, on top of the marker kept on the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation.messages import Outbound
from handlers.followup.recipients import Recipient
from storage.outbox import enqueue


def stamp_of(moment: datetime) -> str:
    return str(int(moment.timestamp()))


async def queue(
    *,
    session: AsyncSession,
    kind: str,
    case_id: int | None,
    stamp: str,
    recipients: Iterable[Recipient],
    message: Outbound,
    now: datetime,
) -> int:
    """Queue `message` once per distinct recipient; returns how many rows were new."""
    new = 0
    for recipient in sorted(set(recipients)):
        key = f"fu:{kind}:{case_id if case_id is not None else '-'}:{stamp}"
        new += await enqueue(
            session=session,
            idempotency_key=f"{key}:{recipient.channel}:{recipient.chat_id}"[:128],
            channel=recipient.channel,
            recipient=recipient.chat_id,
            payload=message.to_payload(),
            now=now,
            case_id=case_id,
        )
    return new
