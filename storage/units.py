"""Units (subdistricts and departments), kept in step with the directory data files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit


@dataclass(frozen=True, slots=True)
class UnitRecord:
    name: str
    kind: str
    code: str | None = None


async def sync_units(*, session: AsyncSession, units: Iterable[UnitRecord]) -> int:
    """Insert new units, update changed ones, deactivate those no longer in the directory.

    Units are never deleted: old cases still point at them.
    """
    wanted = {u.name: u for u in units}
    existing = {u.name: u for u in (await session.execute(select(Unit))).scalars()}
    changed = 0
    for name, record in wanted.items():
        row = existing.get(name)
        if row is None:
            session.add(Unit(name=name, kind=record.kind, code=record.code, active=True))
            changed += 1
        elif (row.kind, row.code, row.active) != (record.kind, record.code, True):
            row.kind, row.code, row.active = record.kind, record.code, True
            changed += 1
    for name, row in existing.items():
        if name not in wanted and row.active:
            row.active = False
            changed += 1
    return changed


async def active_units(*, session: AsyncSession) -> Sequence[Unit]:
    result = await session.execute(select(Unit).where(Unit.active).order_by(Unit.name))
    return result.scalars().all()
