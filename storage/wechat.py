"""WeChat channel state: per-follower window and numbered choices, and the shared access token.

Every change that several instances may race on is one conditional UPDATE, so the database
decides (a quota slot is taken once; one instance at a time holds the token-refresh lease).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import WeChatContact, WeChatToken


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# -- contacts ---------------------------------------------------------------------------------


async def get_contact(
    *, session: AsyncSession, openid: str, for_update: bool = False
) -> WeChatContact | None:
    query = select(WeChatContact).where(WeChatContact.openid == openid)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def ensure_contact(*, session: AsyncSession, openid: str, now: datetime) -> WeChatContact:
    """The contact row, created on first sight (safe under concurrent calls), locked for update."""
    await session.execute(
        insert(session, WeChatContact)
        .values(
            openid=openid,
            followed=True,
            kf_sent=0,
            menu=[],
            menu_current=False,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    contact = await get_contact(session=session, openid=openid, for_update=True)
    assert contact is not None
    return contact


async def note_inbound(*, session: AsyncSession, openid: str, now: datetime) -> WeChatContact:
    """The person wrote (or clicked): the 48-hour window opens afresh with a full quota."""
    contact = await ensure_contact(session=session, openid=openid, now=now)
    contact.last_inbound_at = now
    contact.kf_sent = 0
    contact.followed = True
    contact.updated_at = now
    return contact


async def set_followed(
    *, session: AsyncSession, openid: str, followed: bool, now: datetime
) -> None:
    contact = await ensure_contact(session=session, openid=openid, now=now)
    contact.followed = followed
    contact.updated_at = now
    if not followed:
        # An unfollow closes the window: WeChat refuses every message to a non-follower (43004).
        contact.last_inbound_at = None
        contact.menu_current = False


async def save_menu(
    *, session: AsyncSession, openid: str, payloads: list[str], now: datetime
) -> None:
    """Remember the choices just shown; a message without choices makes the old ones stale."""
    contact = await ensure_contact(session=session, openid=openid, now=now)
    if payloads:
        contact.menu = payloads
        contact.menu_current = True
    else:
        contact.menu_current = False
    contact.updated_at = now


async def reserve_kf_slots(
    *,
    session: AsyncSession,
    openid: str,
    count: int,
    now: datetime,
    window: timedelta,
    quota: int,
) -> bool:
    """Take `count` customer-service sends of the person's current window; False if the window
    is closed or too few are left. One UPDATE, so two instances never overdraw the quota."""
    result = await session.execute(
        update(WeChatContact)
        .where(
            WeChatContact.openid == openid,
            WeChatContact.followed.is_(True),
            WeChatContact.last_inbound_at.is_not(None),
            WeChatContact.last_inbound_at > now - window,
            WeChatContact.kf_sent + count <= quota,
        )
        .values(kf_sent=WeChatContact.kf_sent + count, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def return_kf_slots(*, session: AsyncSession, openid: str, count: int) -> None:
    """Give back slots taken for sends that did not happen."""
    await session.execute(
        update(WeChatContact)
        .where(WeChatContact.openid == openid, WeChatContact.kf_sent >= count)
        .values(kf_sent=WeChatContact.kf_sent - count)
        .execution_options(synchronize_session=False)
    )


async def close_window(
    *, session: AsyncSession, openid: str, quota: int, now: datetime, expired: bool
) -> None:
    """WeChat said the window is over (45015, `expired`) or its quota used up (45047)."""
    values: dict[str, Any] = {"kf_sent": quota, "updated_at": now}
    if expired:
        values["last_inbound_at"] = None
    await session.execute(
        update(WeChatContact)
        .where(WeChatContact.openid == openid)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# -- access token -----------------------------------------------------------------------------


async def load_token(*, session: AsyncSession, app_id: str) -> WeChatToken | None:
    return await session.get(WeChatToken, app_id, populate_existing=True)


async def try_lease(
    *, session: AsyncSession, app_id: str, owner: str, now: datetime, lease_for: timedelta
) -> bool:
    """Become the one refresher of the app's token until `now + lease_for`; False if another
    instance holds an unexpired lease."""
    await session.execute(
        insert(session, WeChatToken).values(app_id=app_id).on_conflict_do_nothing()
    )
    result = await session.execute(
        update(WeChatToken)
        .where(
            WeChatToken.app_id == app_id,
            (WeChatToken.lease_until.is_(None))
            | (WeChatToken.lease_until < now)
            | (WeChatToken.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=now + lease_for)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def store_token(
    *,
    session: AsyncSession,
    app_id: str,
    owner: str,
    token: str | None,
    expires_at: datetime | None,
) -> None:
    """Save a fetched token (or none, after a failed fetch) and give up the lease."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    if token is not None:
        values.update(token=token, expires_at=expires_at)
    await session.execute(
        update(WeChatToken)
        .where(WeChatToken.app_id == app_id, WeChatToken.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def invalidate_token(*, session: AsyncSession, app_id: str, token: str) -> None:
    """WeChat rejected this token (40001/42001...): the next user refreshes it."""
    await session.execute(
        update(WeChatToken)
        .where(WeChatToken.app_id == app_id, WeChatToken.token == token)
        .values(expires_at=None)
        .execution_options(synchronize_session=False)
    )
