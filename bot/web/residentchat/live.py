"""Pushes to open resident pages: the web channel's outbox sender and the pages it reaches.

A page opens a server-sent event stream (`/chat/events`); while it is open, the outbox sender
hands it the resident's pushes (staff replies, results, 回访 questions). With no page open the
push is held (status "held" in the outbox) and released when the resident's page connects
again, as WeChat pushes wait for the 48-hour window. Pages are counted per process: with
several instances behind a balancer, stick each resident to one instance.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bot.delivery import DeliveryResult, DeliveryStatus
from handlers.conversation.messages import Outbound

CHANNEL = "web"
_QUEUE_SIZE = 50


class LivePages:
    """Resident id → the message queues of their open pages."""

    def __init__(self, *, max_pages_per_resident: int = 5) -> None:
        self._pages: defaultdict[str, set[asyncio.Queue[Outbound]]] = defaultdict(set)
        self.max_pages = max_pages_per_resident

    def open(self, resident: str) -> asyncio.Queue[Outbound] | None:
        """A queue for a new page, or None when the resident has too many open already."""
        if len(self._pages[resident]) >= self.max_pages:
            return None
        queue: asyncio.Queue[Outbound] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        self._pages[resident].add(queue)
        return queue

    def close(self, resident: str, queue: asyncio.Queue[Outbound]) -> None:
        pages = self._pages.get(resident)
        if pages is not None:
            pages.discard(queue)
            if not pages:
                del self._pages[resident]

    def is_open(self, resident: str) -> bool:
        return bool(self._pages.get(resident))

    def push(self, resident: str, message: Outbound) -> int:
        """Queue `message` on each open page; how many took it."""
        taken = 0
        for queue in self._pages.get(resident, ()):
            try:
                queue.put_nowait(message)
                taken += 1
            except asyncio.QueueFull:  # a page that stopped reading; the others still get it
                continue
        return taken

    @property
    def count(self) -> int:
        return sum(len(pages) for pages in self._pages.values())


class WebSender:
    """The outbox's `ChannelSender` for channel "web"."""

    channel = CHANNEL

    def __init__(self, pages: LivePages) -> None:
        self._pages = pages

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        if not self._pages.is_open(recipient):
            return DeliveryResult(DeliveryStatus.HOLD, reason="no page open")
        if self._pages.push(recipient, message) == 0:
            return DeliveryResult(DeliveryStatus.RETRY, retry_after=5, reason="pages not reading")
        return DeliveryResult.sent()
