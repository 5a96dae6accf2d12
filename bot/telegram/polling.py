"""Long polling for aiogram that confirms an update only after it has been handled.

aiogram's own `start_polling` asks for the next batch (which confirms the previous one: the
`offset` tells Telegram to forget everything below it) while the handler tasks of the last batch
are still running, so a crash can drop an update that was confirmed but never handled (issue 9).
Here a batch's updates are handled concurrently (the bridge's per-person locks keep each
person's order) and the next getUpdates, carrying the new offset, goes out only when all of
them are done. A crash mid-batch makes Telegram deliver the batch again; the core's update_id
dedupe answers the ones already handled with nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update

log = logging.getLogger(__name__)

_MAX_BACKOFF = 30.0


class ConfirmingPoller:
    def __init__(
        self, bot: Bot, dispatcher: Dispatcher, *, timeout: int, allowed_updates: list[str]
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._allowed = allowed_updates
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Task[list[Update]] | None = None
        self.offset: int | None = None

    def stop(self) -> None:
        """Finish the batch being handled, then return; an unconfirmed long poll is dropped."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()

    async def run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            method = GetUpdates(
                offset=self.offset, timeout=self._timeout, allowed_updates=self._allowed
            )
            self._fetch = asyncio.ensure_future(
                self._bot(method, request_timeout=self._timeout + 30)
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except Exception as exc:
                # The Bot API is down or slow: keep trying, slower and slower.
                log.warning("telegram: getUpdates failed (%r); again in %.0fs", exc, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            finally:
                self._fetch = None
            backoff = 1.0
            if not updates:
                continue
            # Tasks start in update_id order and reach the person's lock in that order.
            await asyncio.gather(*(self._feed(update) for update in updates))
            self.offset = updates[-1].update_id + 1

    async def _feed(self, update: Update) -> None:
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except Exception:
            # The bridge never raises; anything else is aiogram's, and must not stop polling.
            log.exception("telegram: update %s failed outside the core", update.update_id)
