"""Web workbench logins: accounts bound to staff records, sessions, and login attempts.

A one-time set-up link (first login, password reset) is stored as its SHA-256 only, like invite
codes; session tokens are stored as the keyed hash the web layer computes. Repositories take a
session and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LoginAttempt, StaffMember, WebAccount, WebSession

# The channel of staff who work in the browser only: pushes to them are seen in the workbench.
# Not "web": that is the residents' web chat (bot/web/residentchat), a channel of its own.
DESK_CHANNEL = "desk"


def hash_setup_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_setup_link(
    *, session: AsyncSession, staff_id: int, login: str, now: datetime, ttl: timedelta
) -> str:
    """A fresh one-time set-up token for the staff member's account (created if need be).

    An earlier unused token of the same account stops working. Returns the token in clear:
    the only time it exists.
    """
    token = secrets.token_urlsafe(32)
    account = (
        await session.execute(select(WebAccount).where(WebAccount.staff_id == staff_id))
    ).scalar_one_or_none()
    if account is None:
        account = WebAccount(staff_id=staff_id, login=login, active=True, created_at=now)
        session.add(account)
    account.setup_hash = hash_setup_token(token)
    account.setup_expires_at = now + ttl
    account.active = True
    await session.flush()
    return token


async def account_for_setup(
    *, session: AsyncSession, token: str, now: datetime
) -> WebAccount | None:
    """The account a set-up link is valid for now, or None (unknown, used or expired)."""
    account = (
        await session.execute(
            select(WebAccount).where(
                WebAccount.setup_hash == hash_setup_token(token),
                WebAccount.setup_expires_at > now,
                WebAccount.active,
            )
        )
    ).scalar_one_or_none()
    return account


async def set_password(
    *, session: AsyncSession, account: WebAccount, password_hash: str, now: datetime
) -> None:
    """Store a new password, use up the set-up link and sign out every browser of the account."""
    account.password_hash = password_hash
    account.password_set_at = now
    account.setup_hash = None
    account.setup_expires_at = None
    await session.execute(delete(WebSession).where(WebSession.account_id == account.id))


async def account_by_login(*, session: AsyncSession, login: str) -> WebAccount | None:
    """An active account whose staff record is active too."""
    result = await session.execute(
        select(WebAccount)
        .join(StaffMember, StaffMember.id == WebAccount.staff_id)
        .where(WebAccount.login == login, WebAccount.active, StaffMember.active)
    )
    return result.scalar_one_or_none()


async def login_taken(*, session: AsyncSession, login: str, staff_id: int) -> bool:
    """Another staff member's account already has this login name."""
    found = await session.execute(
        select(WebAccount.staff_id).where(
            WebAccount.login == login, WebAccount.staff_id != staff_id
        )
    )
    return found.first() is not None


async def web_only_staff(*, session: AsyncSession, login: str) -> StaffMember | None:
    """The staff record of someone who works in the browser only (channel "desk"), if any."""
    result = await session.execute(
        select(StaffMember).where(
            StaffMember.channel == DESK_CHANNEL, StaffMember.external_id == login
        )
    )
    return result.scalar_one_or_none()


async def update_password_hash(*, session: AsyncSession, account_id: int, new_hash: str) -> None:
    """Re-hashed with today's parameters (argon2 `check_needs_rehash`)."""
    await session.execute(
        update(WebAccount).where(WebAccount.id == account_id).values(password_hash=new_hash)
    )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is behind a valid session cookie."""

    session: WebSession
    account: WebAccount
    member: StaffMember


async def open_session(
    *,
    session: AsyncSession,
    account_id: int,
    token_hash: str,
    csrf_token: str,
    now: datetime,
    idle: timedelta,
    address: str | None,
) -> None:
    session.add(
        WebSession(
            token_hash=token_hash,
            account_id=account_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=now + idle,
            address=(address or "")[:64] or None,
        )
    )
    await session.flush()


async def signed_in(
    *,
    session: AsyncSession,
    token_hash: str,
    now: datetime,
    idle: timedelta,
    lifetime: timedelta,
) -> SignedIn | None:
    """The live session for this token, its idle expiry pushed on; None if expired or revoked.

    A session lives at most `lifetime` from sign-in, whatever the activity.
    """
    row = (
        await session.execute(
            select(WebSession, WebAccount, StaffMember)
            .join(WebAccount, WebAccount.id == WebSession.account_id)
            .join(StaffMember, StaffMember.id == WebAccount.staff_id)
            .where(
                WebSession.token_hash == token_hash,
                WebSession.expires_at > now,
                WebAccount.active,
                StaffMember.active,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    web_session, account, member = row
    hard_end = web_session.created_at + lifetime
    if now >= hard_end:
        await session.delete(web_session)
        return None
    # Only write when it moves the expiry noticeably: a page view should not cost a write.
    if now - web_session.last_seen_at > timedelta(minutes=1):
        web_session.last_seen_at = now
        web_session.expires_at = min(now + idle, hard_end)
    return SignedIn(session=web_session, account=account, member=member)


async def close_session(*, session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


async def record_attempt(
    *, session: AsyncSession, login: str, address: str, now: datetime, succeeded: bool
) -> None:
    session.add(LoginAttempt(login=login[:64], address=address[:64], at=now, succeeded=succeeded))
    await session.flush()


async def recent_failures(
    *, session: AsyncSession, login: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failed attempts since `since`: (for this login name, from this address)."""

    async def count(*where: ColumnElement[bool]) -> int:
        statement = (
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False), *where)
        )
        return int((await session.execute(statement)).scalar_one())

    return (
        await count(LoginAttempt.login == login[:64]),
        await count(LoginAttempt.address == address[:64]),
    )


async def purge_expired(*, session: AsyncSession, now: datetime, keep: timedelta) -> None:
    """Drop expired sessions and attempts older than `keep`."""
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))


async def list_accounts(*, session: AsyncSession) -> Sequence[tuple[WebAccount, StaffMember]]:
    result = await session.execute(
        select(WebAccount, StaffMember)
        .join(StaffMember, StaffMember.id == WebAccount.staff_id)
        .order_by(WebAccount.id)
    )
    return [(a, m) for a, m in result.tuples()]
