"""Long polling that confirms an update only after it has been handled, for both libraries.

aiogram's own `start_polling` asks for the next batch (which confirms the previous one: the
`offset` tells Telegram to forget everything below it) while the handler tasks of the last batch
are still running; python-telegram-bot's `Updater` does the same (it puts a batch on the
application's queue and asks for the next one at once). Either way a crash can drop an update
that was confirmed but never handled (issue 9). Here a batch's updates are handled concurrently
(the bridge's per-person locks keep each person's order) and the next getUpdates, carrying the
new offset, goes out only when all of them are done. A crash mid-batch makes Telegram deliver the
batch again; the core's update_id dedupe answers the ones already handled with nothing.

The loop is library-neutral: an adapter gives it `fetch` (its library's getUpdates for an offset)
and `feed` (its library's dispatch of one update, returning once the handler has finished).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

_MAX_BACKOFF = 30.0


class _HasUpdateId(Protocol):
    @property
    def update_id(self) -> int: ...


U = TypeVar("U", bound=_HasUpdateId)


class ConfirmingPoller(Generic[U]):
    def __init__(
        self,
        fetch: Callable[[int | None], Awaitable[Sequence[U]]],
        feed: Callable[[U], Awaitable[object]],
    ) -> None:
        self._fetch_batch = fetch
        self._feed_one = feed
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Future[Sequence[U]] | None = None
        self.offset: int | None = None

    def stop(self) -> None:
        """Finish the batch being handled, then return; an unconfirmed long poll is dropped."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()

    async def run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            self._fetch = asyncio.ensure_future(self._fetch_batch(self.offset))
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

    async def _feed(self, update: U) -> None:
        try:
            await self._feed_one(update)
        except Exception:
            # The bridge never raises; anything else is the library's, and must not stop polling.
            log.exception("telegram: update %s failed outside the core", update.update_id)
