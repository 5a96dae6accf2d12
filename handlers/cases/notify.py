"""Pushes caused by case work, written to the outbox in the turn's transaction (design.md §5).

Every push has an idempotency key `<kind>:<case_id>:<stamp>:<channel>:<recipient>`, where the
stamp is the case version for pushes caused by a transition (`v3`) and the event id for the ones
that do not change the version (`e17`: a reply, added information). Handling the same step twice
therefore queues each push once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation.messages import Outbound
from storage.models import Case, Resident
from storage.outbox import enqueue
from storage.staff import staff_with_role, unit_recipient_chats

# Outbox message kinds (the first field of the key).
CARD = "card"  # a case card to a unit's staff or group
RESIDENT_STEP = "step"  # a step of the case told to the resident
QUEUE = "queue"  # a case waiting in the dispatcher queue
INFO = "info"  # a resident's added information, relayed to the unit
WITHDRAWN = "withdrawn"  # the resident withdrew the case: the unit is told
EXTENSION_ASKED = "ext_ask"  # an extension request to supervisors
EXTENSION_DECIDED = "ext_dec"  # the supervisor's decision, to the staff who asked


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: str
    chat_id: str


def version_stamp(case: Case) -> str:
    return f"v{case.version}"


def event_stamp(event_id: int) -> str:
    return f"e{event_id}"


async def push(
    *,
    session: AsyncSession,
    case: Case,
    kind: str,
    stamp: str,
    recipients: Iterable[Recipient],
    message: Outbound,
    now: datetime,
) -> None:
    """Queue `message` once for each recipient (a recipient listed twice gets it once)."""
    for recipient in recipients:
        await enqueue(
            session=session,
            idempotency_key=f"{kind}:{case.id}:{stamp}:{recipient.channel}:{recipient.chat_id}",
            channel=recipient.channel,
            recipient=recipient.chat_id,
            payload=message.to_payload(),
            now=now,
            case_id=case.id,
        )


async def unit_recipients(*, session: AsyncSession, unit: str) -> list[Recipient]:
    """A unit's staff (private chats) and its bound groups."""
    chats = await unit_recipient_chats(session=session, unit=unit)
    return [Recipient(channel, chat_id) for channel, chat_id in chats]


async def role_recipients(*, session: AsyncSession, role: str) -> list[Recipient]:
    return [
        Recipient(m.channel, m.external_id)
        for m in await staff_with_role(session=session, role=role)
    ]


async def resident_recipient(*, session: AsyncSession, case: Case) -> list[Recipient]:
    """The resident's chat on the channel they filed from (none if they cannot be reached)."""
    resident = await session.get(Resident, case.resident_id)
    if resident is None or not resident.reachable:
        return []
    return [Recipient(case.channel, resident.chat_id or resident.external_id)]
