"""Test helpers: a resident talking to the core as a person would (send text, click buttons)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.app import App, build_app, sync_directory
from bot.config import Settings
from handlers.conversation.core import Conversation
from handlers.conversation.messages import Button, Inbound, Location, Outbound
from handlers.policy.clock import Clock
from nlp.router import Router

_ids = itertools.count(1)


@asynccontextmanager
async def running_app(
    settings: Settings, router: Router, clock: Clock, **options: Any
) -> AsyncIterator[App]:
    """The whole core wired to a fresh database, with the units of the default directory;
    `options` go to build_app (e.g. knowledge=)."""
    built = await build_app(settings, clock=clock, router=router, prepare=False, **options)
    await sync_directory(built.sessionmaker, router)
    try:
        yield built
    finally:
        await built.close()


@dataclass
class ResidentClient:
    """Sends messages as one resident and remembers the newest buttons, like a chat window."""

    conversation: Conversation
    user_id: str = "u1"
    channel: str = "telegram"
    last: list[Outbound] = field(default_factory=list)

    def _inbound(self, **kwargs: object) -> Inbound:
        message_id = kwargs.pop("message_id", None) or f"m{next(_ids)}"
        return Inbound(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=self.user_id,
            message_id=str(message_id),
            **kwargs,  # type: ignore[arg-type]
        )

    async def deliver(self, inbound: Inbound) -> list[Outbound]:
        replies = await self.conversation.handle(inbound)
        if replies:
            self.last = replies
        return replies

    async def send(self, text: str, *, message_id: str | None = None) -> list[Outbound]:
        return await self.deliver(self._inbound(text=text, message_id=message_id))

    async def press(self, payload: str) -> list[Outbound]:
        return await self.deliver(self._inbound(choice=payload))

    async def photo(self, file_id: str) -> list[Outbound]:
        return await self.deliver(self._inbound(photo=file_id))

    async def location(self, lat: float, lon: float) -> list[Outbound]:
        return await self.deliver(self._inbound(location=Location(lat, lon)))

    def buttons(self) -> list[Button]:
        return [b for reply in self.last for b in reply.all_buttons()]

    async def click(self, label: str) -> list[Outbound]:
        """Press the button with this label among the newest replies (fails if absent)."""
        for button in self.buttons():
            if button.label == label:
                return await self.press(button.payload)
        raise AssertionError(f"no button {label!r}; offered: {[b.label for b in self.buttons()]}")

    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)


def texts(replies: list[Outbound]) -> str:
    return "\n".join(reply.text for reply in replies)
