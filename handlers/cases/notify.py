"""Telling people about a case: the one notification API for case commands and the sweep alike.

`tell` writes one outbox row per distinct recipient in the caller's transaction (design.md §5),
keyed `<kind>:<case_id>:<stamp>:<channel>:<recipient>`. The stamp names what caused the push: the
case version for a transition (`v3`), an event id for a step that keeps the version (`e17`), the
epoch second of the deadline a timer fired for. Telling the same thing twice queues it once.

Who to tell is read from the staff table (roles staff | head | dispatcher | supervisor); a
private chat's id is the member's `external_id`. Where a role is empty the message goes one step
wider, so an alert is never addressed to nobody: no head → the unit's staff; no staff → its groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation.messages import Outbound
from storage.models import Case, CaseEvent, Resident, StaffMember
from storage.outbox import enqueue
from storage.staff import staff_with_role, unit_chats, unit_recipient_chats, unit_workers

# Outbox message kinds (the first field of the key) for case steps; follow-up timers use their
# timer's name ("fu:warn", "fu:callback" ...).
CARD = "card"  # a case card to a unit's staff or group
RESIDENT_STEP = "step"  # a step of the case told to the resident
QUEUE = "queue"  # a case waiting in the dispatcher queue
INFO = "info"  # a resident's added information, relayed to the unit
WITHDRAWN = "withdrawn"  # the resident withdrew the case: the unit is told
EXTENSION_ASKED = "ext_ask"  # an extension request to supervisors
EXTENSION_DECIDED = "ext_dec"  # the supervisor's decision, to the staff who asked


@dataclass(frozen=True, slots=True, order=True)
class Recipient:
    channel: str
    chat_id: str


def version_stamp(case: Case) -> str:
    return f"v{case.version}"


def event_stamp(event_id: int) -> str:
    return f"e{event_id}"


def time_stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


async def tell(
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
        key = f"{kind}:{case_id if case_id is not None else '-'}:{stamp}"
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


# -- who ----------------------------------------------------------------------------------------


def _people(members: Iterable[StaffMember]) -> list[Recipient]:
    return [Recipient(m.channel, m.external_id) for m in members]


async def unit_everyone(session: AsyncSession, unit: str) -> list[Recipient]:
    """Every active member of the unit (staff and heads, private chats) and its bound groups."""
    chats = await unit_recipient_chats(session=session, unit=unit)
    return [Recipient(channel, chat_id) for channel, chat_id in chats]


async def unit_groups(session: AsyncSession, unit: str) -> list[Recipient]:
    return [Recipient(g.channel, g.chat_id) for g in await unit_chats(session=session, unit=unit)]


async def unit_staff(session: AsyncSession, unit: str) -> list[Recipient]:
    """The unit's case workers (role staff; heads if it has none), and its group chats."""
    workers = list(await unit_workers(session=session, unit=unit))
    staff = [m for m in workers if m.role == "staff"] or workers
    return _people(staff) + await unit_groups(session, unit)


async def unit_heads(session: AsyncSession, unit: str) -> list[Recipient]:
    """The unit's heads (负责人); the unit's staff if no head is enrolled."""
    workers = list(await unit_workers(session=session, unit=unit))
    heads = [m for m in workers if m.role == "head"]
    return _people(heads) if heads else await unit_staff(session, unit)


async def handling_staff(session: AsyncSession, case: Case) -> list[Recipient]:
    """Whoever signed the case (签收人) if still active in its unit, else the unit's staff."""
    if case.unit_name is None:
        return []
    signer_id = (
        await session.execute(
            select(CaseEvent.actor_id)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.to_state == "accepted",
                CaseEvent.actor_kind == "staff",
            )
            .order_by(CaseEvent.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if signer_id is not None and signer_id.isdigit():
        signer = await session.get(StaffMember, int(signer_id))
        if signer is not None and signer.active and signer.unit_name == case.unit_name:
            return [Recipient(signer.channel, signer.external_id)]
    return await unit_staff(session, case.unit_name)


async def staff_member(session: AsyncSession, staff_id: str | None, unit: str) -> list[Recipient]:
    """One staff member if still active; else the whole unit (someone must know)."""
    member = None
    if staff_id is not None and staff_id.isdigit():
        member = await session.get(StaffMember, int(staff_id))
    if member is not None and member.active:
        return [Recipient(member.channel, member.external_id)]
    return await unit_everyone(session, unit)


async def with_role(session: AsyncSession, role: str) -> list[Recipient]:
    return _people(await staff_with_role(session=session, role=role))


async def supervisors(session: AsyncSession) -> list[Recipient]:
    return await with_role(session, "supervisor")


async def dispatchers(session: AsyncSession) -> list[Recipient]:
    return await with_role(session, "dispatcher")


async def resident_of(session: AsyncSession, case: Case) -> list[Recipient]:
    """The resident's own chat on the channel the case came from (none if unreachable)."""
    resident = await session.get(Resident, case.resident_id)
    if resident is None or not resident.reachable:
        return []
    return [Recipient(case.channel, resident.chat_id or resident.external_id)]
