"""Helpers for the follow-up tests: staff on file, a case dispatched at a chosen instant, the
unit resolving it, and reading the outbox."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.sla import compute_deadlines
from storage.cases import add_event, get_case_for_update
from storage.models import Case, OutboxMessage, StaffMember
from storage.residents import ensure_resident

UNIT = "培黎街道"
OTHER_UNIT = "西路街道"
ZONE = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)

# Who is on file: (role, unit, chat id).
STAFF = (
    ("staff", UNIT, "501"),
    ("staff", UNIT, "502"),
    ("head", UNIT, "601"),
    ("staff", OTHER_UNIT, "701"),
    ("supervisor", UNIT, "901"),
    ("supervisor", OTHER_UNIT, "902"),
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given as Lanzhou wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


async def seed_staff(app: App, now: datetime) -> dict[str, int]:
    """Enrol `STAFF` on Telegram; returns chat id -> staff id."""
    ids: dict[str, int] = {}
    async with app.sessionmaker() as session, session.begin():
        for role, unit, chat in STAFF:
            member = StaffMember(
                unit_name=unit,
                role=role,
                channel="telegram",
                external_id=chat,
                display_name=f"{role}-{chat}",
                active=True,
                created_at=now,
            )
            session.add(member)
            await session.flush()
            ids[chat] = member.id
    return ids


async def dispatched_case(
    app: App,
    at: datetime,
    *,
    user: str = "u1",
    unit: str = UNIT,
    request_type: RequestType = RequestType.COMPLAINT,
    urgency: Urgency = Urgency.NORMAL,
) -> int:
    """A case filed and dispatched to `unit` at `at`, clocks set as the dispatch code sets them."""
    deps = app.deps
    deadlines = compute_deadlines(
        deps.calendar, deps.sla, request_type=request_type, urgency=urgency, dispatched_at=at
    )
    async with app.sessionmaker() as session, session.begin():
        resident = await ensure_resident(
            session=session, channel="telegram", external_id=user, chat_id=user, now=at
        )
        case = Case(
            number=f"AN{at.astimezone(ZONE):%Y%m%d}-{next(_numbers):04d}",
            resident_id=resident.id,
            channel="telegram",
            request_type=request_type.value,
            urgency=urgency.value,
            state="dispatched",
            unit_name=unit,
            description="建宁路路灯坏了",
            created_at=at,
            updated_at=at,
            dispatched_at=at,
            sign_deadline=deadlines.sign_by,
            handle_deadline=deadlines.handle_by,
            return_deadline=deadlines.return_by,
            version=2,
        )
        session.add(case)
        await session.flush()
        for action, from_state, to_state in (
            ("submitted", None, "submitted"),
            ("dispatched", "submitted", "dispatched"),
        ):
            add_event(
                session=session,
                case=case,
                at=at,
                actor_kind="system" if action == "dispatched" else "resident",
                actor_id=None if action == "dispatched" else user,
                action=action,
                from_state=from_state,
                to_state=to_state,
                note=unit if action == "dispatched" else None,
            )
        return case.id


async def move(
    app: App,
    case_id: int,
    to_state: str,
    at: datetime,
    *,
    actor: tuple[str, str | None] = ("staff", None),
    note: str | None = None,
) -> None:
    """What the unit's desk does on sign (accepted) or close (resolved): state, version, event."""
    async with app.sessionmaker() as session, session.begin():
        case = await get_case_for_update(session=session, case_id=case_id)
        assert case is not None
        add_event(
            session=session,
            case=case,
            at=at,
            actor_kind=actor[0],
            actor_id=actor[1],
            action={"accepted": "signed", "resolved": "resolved"}[to_state],
            from_state=case.state,
            to_state=to_state,
            note=note,
        )
        case.state = to_state
        case.version += 1
        case.updated_at = at
        if to_state == "accepted":
            case.signed_at = at
        else:
            case.resolved_at = at


async def get_case(app: App, case_id: int) -> Case:
    async with app.sessionmaker() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def outbox(app: App, *, after_id: int = 0) -> Sequence[OutboxMessage]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage).where(OutboxMessage.id > after_id).order_by(OutboxMessage.id)
        )
        return rows.scalars().all()


def by_recipient(rows: Sequence[OutboxMessage]) -> dict[str, list[str]]:
    """Recipient chat id -> the texts queued for it, in order."""
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.recipient, []).append(str(row.payload["text"]))
    return found
