"""Staff (承办人, 派单员, 督查员), their one-time invites and the group chats bound to units.

An invite code is shown once, when it is made; only its SHA-256 is stored, so a database dump
holds no usable code.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import String, bindparam, delete, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import Draft, Invite, StaffMember, Unit, UnitChat

ROLES = ("staff", "head", "dispatcher", "supervisor")
# Roles that work a unit's own cases (sign, reply, extend, return, close).
UNIT_ROLES = frozenset({"staff", "head"})
# Dispatchers and supervisors sit at the hotline centre unless told otherwise.
CENTRE_UNIT = "区政务服务中心"

# No 0/O/1/I/L: codes are read aloud and typed from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    """The stored form of an invite code (spaces, dashes and case do not matter)."""
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


async def unit_exists(*, session: AsyncSession, name: str) -> bool:
    unit = await session.get(Unit, name)
    return unit is not None and unit.active


async def create_invite(
    *, session: AsyncSession, unit: str, role: str, now: datetime, ttl: timedelta
) -> str:
    """Store a new invite and return its code (the only time the code exists in clear)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    code = new_code()
    session.add(
        Invite(
            code_hash=hash_code(code),
            unit_name=unit,
            role=role,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return code


@dataclass(frozen=True, slots=True)
class Redeemed:
    unit_name: str
    role: str


async def redeem_invite(
    *, session: AsyncSession, code: str, used_by: str, now: datetime
) -> Redeemed | None:
    """Use up a valid invite; None if it is unknown, expired or already used (not said which).

    One conditional UPDATE, so two people racing with the same code cannot both win.
    """
    result = await session.execute(
        update(Invite)
        .where(
            Invite.code_hash == hash_code(code),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by=used_by[:96])
        .returning(Invite.unit_name, Invite.role)
    )
    row = result.one_or_none()
    return Redeemed(unit_name=row[0], role=row[1]) if row is not None else None


async def staff_by_identity(
    *, session: AsyncSession, channel: str, external_id: str
) -> StaffMember | None:
    """The active staff member behind this chat account, if any."""
    result = await session.execute(
        select(StaffMember).where(
            StaffMember.channel == channel,
            StaffMember.external_id == external_id,
            StaffMember.active,
        )
    )
    return result.scalar_one_or_none()


async def enrol_staff(
    *,
    session: AsyncSession,
    channel: str,
    external_id: str,
    unit: str,
    role: str,
    display_name: str | None,
    now: datetime,
) -> StaffMember:
    """Bind an account to a unit and role; an account already known (even removed) is rebound."""
    result = await session.execute(
        select(StaffMember).where(
            StaffMember.channel == channel, StaffMember.external_id == external_id
        )
    )
    member = result.scalar_one_or_none()
    if member is None:
        member = StaffMember(
            unit_name=unit,
            role=role,
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            active=True,
            created_at=now,
        )
        session.add(member)
        await session.flush()
        return member
    member.unit_name, member.role, member.active = unit, role, True
    if display_name:
        member.display_name = display_name
    return member


async def list_staff(
    *, session: AsyncSession, unit: str | None = None, include_removed: bool = False
) -> Sequence[StaffMember]:
    statement = select(StaffMember).order_by(StaffMember.unit_name, StaffMember.id)
    if unit is not None:
        statement = statement.where(StaffMember.unit_name == unit)
    if not include_removed:
        statement = statement.where(StaffMember.active)
    return (await session.execute(statement)).scalars().all()


async def staff_with_role(*, session: AsyncSession, role: str) -> Sequence[StaffMember]:
    """Active members of one role anywhere (e.g. every dispatcher)."""
    result = await session.execute(
        select(StaffMember)
        .where(StaffMember.role == role, StaffMember.active)
        .order_by(StaffMember.id)
    )
    return result.scalars().all()


async def unit_workers(*, session: AsyncSession, unit: str) -> Sequence[StaffMember]:
    """Active staff and heads of a unit: the people its case cards go to."""
    result = await session.execute(
        select(StaffMember)
        .where(
            StaffMember.unit_name == unit,
            StaffMember.role.in_(UNIT_ROLES),
            StaffMember.active,
        )
        .order_by(StaffMember.id)
    )
    return result.scalars().all()


async def remove_staff(*, session: AsyncSession, staff_id: int) -> StaffMember | None:
    """Deactivate a member (kept, since case events name them) and drop any half-done input."""
    member = await session.get(StaffMember, staff_id)
    if member is None:
        return None
    member.active = False
    await session.execute(
        delete(Draft).where(Draft.channel == member.channel, Draft.user_id == member.external_id)
    )
    return member


async def bind_unit_chat(
    *, session: AsyncSession, channel: str, chat_id: str, unit: str, now: datetime
) -> None:
    """Bind a group chat to a unit; a group already bound moves to the new unit."""
    statement = insert(session, UnitChat).values(
        channel=channel, chat_id=chat_id, unit_name=unit, created_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[UnitChat.channel, UnitChat.chat_id],
        set_={"unit_name": unit, "created_at": now},
    )
    await session.execute(statement)


async def unit_chat(*, session: AsyncSession, channel: str, chat_id: str) -> UnitChat | None:
    return await session.get(UnitChat, (channel, chat_id))


async def unit_chats(*, session: AsyncSession, unit: str) -> Sequence[UnitChat]:
    result = await session.execute(
        select(UnitChat).where(UnitChat.unit_name == unit).order_by(UnitChat.chat_id)
    )
    return result.scalars().all()


@cache
def _unit_recipients_statement() -> Any:
    # Built once (every dispatch runs it), one round trip instead of two. Each row is
    # (channel, chat id): staff private chats first (by staff id), then bound groups (by chat id),
    # the order `unit_workers` then `unit_chats` give.
    staff, chats = StaffMember.__table__, UnitChat.__table__
    unit = bindparam("unit", type_=String)
    people = select(
        staff.c.channel,
        staff.c.external_id.label("chat_id"),
        literal(0).label("part"),
        staff.c.id.label("staff_id"),
    ).where(staff.c.unit_name == unit, staff.c.role.in_(sorted(UNIT_ROLES)), staff.c.active)
    groups = select(
        chats.c.channel, chats.c.chat_id, literal(1).label("part"), literal(0).label("staff_id")
    ).where(chats.c.unit_name == unit)
    both = union_all(people, groups).subquery("recipients")
    return select(both.c.channel, both.c.chat_id).order_by(
        both.c.part, both.c.staff_id, both.c.chat_id
    )


async def unit_recipient_chats(*, session: AsyncSession, unit: str) -> list[tuple[str, str]]:
    """(channel, chat id) of a unit's active staff and heads, then of its bound groups."""
    result = await session.execute(_unit_recipients_statement(), {"unit": unit})
    return [(channel, chat_id) for channel, chat_id in result]
