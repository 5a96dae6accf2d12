"""Web accounts, sessions and login attempts in storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from storage.staff import CENTRE_UNIT, enrol_staff
from storage.webaccounts import (
    account_by_login,
    account_for_setup,
    close_session,
    issue_setup_link,
    open_session,
    purge_expired,
    recent_failures,
    record_attempt,
    set_password,
    signed_in,
)

IDLE, LIFETIME = timedelta(hours=2), timedelta(hours=12)


async def _member_id(app: App) -> int:
    async with app.sessionmaker() as session, session.begin():
        member = await enrol_staff(
            session=session,
            channel="telegram",
            external_id="77",
            unit=CENTRE_UNIT,
            role="dispatcher",
            display_name=None,
            now=app.deps.clock.now(),
        )
        return member.id


async def test_a_setup_link_is_one_time_and_expires(app: App) -> None:
    """A link is found until used or expired; a newer link replaces the older one."""
    staff_id = await _member_id(app)
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        old = await issue_setup_link(
            session=session, staff_id=staff_id, login="d77", now=now, ttl=timedelta(hours=1)
        )
        new = await issue_setup_link(
            session=session, staff_id=staff_id, login="d77", now=now, ttl=timedelta(hours=1)
        )
    async with app.sessionmaker() as session, session.begin():
        assert await account_for_setup(session=session, token=old, now=now) is None
        assert (
            await account_for_setup(session=session, token=new, now=now + timedelta(hours=2))
            is None
        )
        account = await account_for_setup(session=session, token=new, now=now)
        assert account is not None and account.login == "d77"
        await set_password(session=session, account=account, password_hash="h", now=now)
    async with app.sessionmaker() as session:
        assert await account_for_setup(session=session, token=new, now=now) is None
        found = await account_by_login(session=session, login="d77")
        assert found is not None and found.staff_id == staff_id and found.password_hash == "h"


async def test_sessions_slide_then_end(app: App) -> None:
    """A used session's idle expiry moves on; it ends at the hard limit, or when closed."""
    staff_id = await _member_id(app)
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        await issue_setup_link(
            session=session, staff_id=staff_id, login="d77", now=now, ttl=timedelta(hours=1)
        )
        account = await account_by_login(session=session, login="d77")
        assert account is not None
        for token in ("s1", "s2"):
            await open_session(
                session=session,
                account_id=account.id,
                token_hash=token,
                csrf_token="c",
                now=now,
                idle=IDLE,
                address="127.0.0.1",
            )
    at = now
    for _ in range(5):  # active every 100 minutes: kept alive past the first idle expiry
        at += timedelta(minutes=100)
        async with app.sessionmaker() as session, session.begin():
            found = await signed_in(
                session=session, token_hash="s1", now=at, idle=IDLE, lifetime=LIFETIME
            )
            assert (
                found is not None
                and found.member.id == staff_id
                and found.session.csrf_token == "c"
            )
    async with app.sessionmaker() as session, session.begin():
        assert (
            await signed_in(session=session, token_hash="s2", now=at, idle=IDLE, lifetime=LIFETIME)
            is None
        )  # idle too long
        assert (
            await signed_in(
                session=session, token_hash="s1", now=now + LIFETIME, idle=IDLE, lifetime=LIFETIME
            )
            is None
        )  # past the hard end
        await close_session(session=session, token_hash="s1")
        await purge_expired(session=session, now=at, keep=timedelta(days=1))


async def test_failures_are_counted_per_login_and_per_address(app: App) -> None:
    """Only failures inside the window count, separately by login name and by address."""
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        for login, address, ok, ago in (
            ("a", "1.1.1.1", False, 1),
            ("a", "2.2.2.2", False, 2),
            ("b", "1.1.1.1", False, 3),
            ("a", "1.1.1.1", True, 4),
            ("a", "1.1.1.1", False, 60),
        ):
            await record_attempt(
                session=session,
                login=login,
                address=address,
                now=now - timedelta(minutes=ago),
                succeeded=ok,
            )
    async with app.sessionmaker() as session:
        since = now - timedelta(minutes=15)
        assert await recent_failures(
            session=session, login="a", address="1.1.1.1", since=since
        ) == (2, 2)
        assert await recent_failures(
            session=session, login="c", address="3.3.3.3", since=since
        ) == (0, 0)
