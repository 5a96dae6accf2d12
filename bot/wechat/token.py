"""The access token, shared by every instance through the database.

A token lives 7200 s, and fetching a new one invalidates the old one 5 minutes later: if each
instance fetched its own, they would keep knocking each other's tokens out. So one row holds
the token; it is refreshed well before expiry by whoever first needs it, under a lease (a
conditional UPDATE) so only one instance fetches at a time; the others keep using the old
token, which stays valid meanwhile, or wait briefly if there is none.
https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.wechat.api import WeChatApi, WeChatApiError
from handlers.policy.clock import Clock
from storage.wechat import invalidate_token, load_token, store_token, try_lease

log = logging.getLogger(__name__)

# Refresh this long before expiry; the old token stays valid 5 more minutes after a refresh.
REFRESH_MARGIN = timedelta(minutes=10)
# How long one refresher may take before another instance may try.
LEASE = timedelta(seconds=30)
# How long a caller without any valid token waits for another instance's refresh.
WAIT_FOR_OTHERS = 10.0
_POLL = 0.2


class SharedAccessToken:
    def __init__(
        self,
        *,
        app_id: str,
        api: WeChatApi,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        self._app_id = app_id
        self._api = api
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._owner = uuid.uuid4().hex
        # One refresh at a time inside this process too; the others wait on it.
        self._refreshing = asyncio.Lock()

    async def get(self) -> str:
        """A valid token; raises WeChatApiError if none can be had."""
        token, expires_at = await self._stored()
        now = self._clock.now()
        if token is not None and expires_at is not None and expires_at - now > REFRESH_MARGIN:
            return token
        async with self._refreshing:
            return await self._refresh(token, expires_at)

    async def invalidate(self, token: str) -> None:
        """WeChat refused `token` (40001/42001): make the next caller fetch a new one."""
        async with self._sessionmaker() as session, session.begin():
            await invalidate_token(session=session, app_id=self._app_id, token=token)

    async def _stored(self) -> tuple[str | None, datetime | None]:
        async with self._sessionmaker() as session:
            row = await load_token(session=session, app_id=self._app_id)
            return (row.token, row.expires_at) if row is not None else (None, None)

    async def _refresh(self, token: str | None, expires_at: datetime | None) -> str:
        deadline = asyncio.get_running_loop().time() + WAIT_FOR_OTHERS
        while True:
            now = self._clock.now()
            # Someone (this process's previous lock holder, or another instance) may be done.
            token, expires_at = await self._stored()
            if token is not None and expires_at is not None and expires_at - now > REFRESH_MARGIN:
                return token
            async with self._sessionmaker() as session, session.begin():
                leased = await try_lease(
                    session=session,
                    app_id=self._app_id,
                    owner=self._owner,
                    now=now,
                    lease_for=LEASE,
                )
            if leased:
                # Another instance may have stored a fresh token between our read and our lease
                # (it gives the lease up in the same commit): check again before fetching.
                fresh, fresh_expiry = await self._stored()
                if (
                    fresh is not None
                    and fresh_expiry is not None
                    and fresh_expiry - now > REFRESH_MARGIN
                ):
                    await self._release()
                    return fresh
                return await self._fetch_and_store()
            if token is not None and expires_at is not None and expires_at > now:
                return token  # still valid; the lease holder is refreshing it
            if asyncio.get_running_loop().time() > deadline:
                raise WeChatApiError(None, "no access token: another instance holds the lease")
            await asyncio.sleep(_POLL)

    async def _release(self) -> None:
        async with self._sessionmaker() as session, session.begin():
            await store_token(
                session=session, app_id=self._app_id, owner=self._owner, token=None, expires_at=None
            )

    async def _fetch_and_store(self) -> str:
        try:
            fetched = await self._api.fetch_token()
        except WeChatApiError:
            log.exception("wechat: fetching the access token failed")
            await self._release()
            raise
        expires_at = self._clock.now() + timedelta(seconds=fetched.expires_in)
        async with self._sessionmaker() as session, session.begin():
            await store_token(
                session=session,
                app_id=self._app_id,
                owner=self._owner,
                token=fetched.token,
                expires_at=expires_at,
            )
        log.info("wechat: access token refreshed, valid until %s", expires_at.isoformat())
        return fetched.token
