"""Who hears about a case: unit staff, the unit head, the signer, supervisors, the resident.

Read from the staff table (roles staff | head | dispatcher | supervisor); a private chat's id is
the member's `external_id`. Where a role is empty the message goes one step wider, so an alert
is never addressed to nobody: no head → the unit's staff; no staff → its bound group chats.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent, Resident, StaffMember
from storage.staff import staff_with_role, unit_chats, unit_workers


@dataclass(frozen=True, slots=True, order=True)
class Recipient:
    channel: str
    chat_id: str


def _people(members: list[StaffMember]) -> list[Recipient]:
    return [Recipient(m.channel, m.external_id) for m in members]


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


async def supervisors(session: AsyncSession) -> list[Recipient]:
    return _people(list(await staff_with_role(session=session, role="supervisor")))


async def resident_of(session: AsyncSession, case: Case) -> list[Recipient]:
    """The resident's own chat on the channel the case came from (none if unreachable)."""
    resident = await session.get(Resident, case.resident_id)
    if resident is None or not resident.reachable:
        return []
    return [Recipient(case.channel, resident.chat_id or resident.external_id)]
