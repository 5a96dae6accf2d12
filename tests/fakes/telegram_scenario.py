"""Drive the real hotline core through a real Telegram adapter and the stand-in Bot API.

    async with TelegramScenario(app, api, "aiogram") as sc:
        resident = sc.person(1001)
        await resident.say("/new")
        await resident.press("投诉")

Every step injects one update into the stand-in, waits until the adapter has handed it to the
core and delivered the replies, then drains the outbox once (pushes to other parties go out
through the same running channel, as `TelegramSender`). A person reads what the bot put in
their chat with `inbox()` / `new()`, and presses buttons found on those messages.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.config import TelegramSettings
from bot.outbox.sender import OutboxSender
from bot.telegram import RateLimits, TelegramChannel, create_telegram_channel
from bot.telegram.base import TelegramChannelBase
from bot.telegram.delivery import TelegramSender
from handlers.conversation.core import Conversation
from handlers.conversation.messages import Inbound, Outbound
from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI

# Limits high enough not to slow the scenarios down.
FAST = RateLimits(bot_rate=1000, private_rate=1000, group_rate=1000, group_period=1.0)
STEP_TIMEOUT = 10.0


class ObservedCore:
    """`app.conversation`, unchanged, plus a count of finished turns per update id, so a step
    knows when the core is done with its update (even when it answered nothing)."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.finished: Counter[str] = Counter()
        self.inbounds: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        self.inbounds.append(inbound)
        try:
            return await self.conversation.handle(inbound)
        finally:
            self.finished[inbound.message_id or ""] += 1

    async def wait_finished(self, update_id: int, times: int, within: float) -> None:
        deadline = time.monotonic() + within
        while self.finished[str(update_id)] < times:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"update {update_id} not handled {times}x within {within}s "
                    f"(handled {self.finished[str(update_id)]}x)"
                )
            await asyncio.sleep(0.01)


@dataclass
class TelegramScenario:
    """One running channel on `framework` with `app.conversation` as its core, and the outbox
    sender pushing through it."""

    app: App
    api: FakeTelegramAPI
    framework: str
    core: ObservedCore = field(init=False)
    channel: TelegramChannel | None = field(default=None, init=False)
    outbox: OutboxSender = field(init=False)

    def __post_init__(self) -> None:
        self.core = ObservedCore(self.app.conversation)
        self.outbox = OutboxSender(
            sessionmaker=self.app.sessionmaker, senders=self.app.senders, clock=self.app.deps.clock
        )

    async def start(self) -> None:
        """Start a new channel object (also after `stop`, as a restarted process would)."""
        assert self.channel is None, "already running"
        settings = TelegramSettings(
            token=self.api.token, api_base_url=self.api.base_url, framework=self.framework
        )
        channel = create_telegram_channel(
            settings, self.core, limits=FAST, poll_timeout=1, media=self.app.media
        )
        await channel.start()
        self.channel = channel
        self.app.senders.register(TelegramSender(channel))

    async def stop(self, *, restarting: bool = True) -> None:
        """Stop the channel; with `restarting`, also wait until the stand-in has closed its
        side of the last long poll, so the next channel gets every update."""
        if self.channel is None:
            return
        self.app.senders.unregister("telegram")
        channel, self.channel = self.channel, None
        await channel.stop()
        if not restarting:
            return
        # The client drops its long poll on stop, but the stand-in's handler for it waits out its
        # timeout and would hand an update injected meanwhile to nobody: let it finish first.
        deadline = time.monotonic() + STEP_TIMEOUT
        while any(c.ok and c.result is None for c in self.api.calls_to("getUpdates")):
            assert time.monotonic() < deadline, "a getUpdates never finished"
            await asyncio.sleep(0.01)

    async def __aenter__(self) -> TelegramScenario:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop(restarting=False)

    def person(self, user_id: int, *, chat_id: int | None = None) -> Party:
        """Someone writing to the bot in their private chat, or in group `chat_id`."""
        return Party(self, user_id, chat_id)

    async def step(self, inject: Callable[[], int], *, times: int = 1) -> int:
        """Inject one update, wait until the core has finished it (`times` in all: more than
        once for a redelivery) and its replies are out, then drain the outbox."""
        update_id = inject()
        await self.core.wait_finished(update_id, times, STEP_TIMEOUT)
        await self.settle()
        return update_id

    async def settle(self) -> None:
        """Let running turns deliver their replies, then send every due push."""
        assert isinstance(self.channel, TelegramChannelBase)
        assert await self.channel.bridge.drain(STEP_TIMEOUT)
        await self.outbox.drain()


@dataclass
class Party:
    """A person and the chat they type in; reads the bot's messages to that chat."""

    scenario: TelegramScenario
    user_id: int
    chat_id: int | None = None
    photos: list[str] = field(default_factory=list)  # file_ids of the photos this person sent
    last_press: int = 0  # update_id of this person's newest button press
    _seen: int = 0

    @property
    def chat(self) -> int:
        return self.chat_id if self.chat_id is not None else self.user_id

    @property
    def api(self) -> FakeTelegramAPI:
        return self.scenario.api

    def inbox(self) -> list[ApiCall]:
        """Every message the bot put in this chat, oldest first."""
        return self.api.sent(chat_id=self.chat)

    def new(self) -> list[ApiCall]:
        """Messages to this chat since the last call of `new()` (or of `say`/`press`)."""
        calls = self.inbox()
        fresh, self._seen = calls[self._seen :], len(calls)
        return fresh

    def text(self) -> str:
        """The text of every message to this chat so far."""
        return "\n".join(c.text or "" for c in self.inbox())

    async def say(self, text: str) -> list[ApiCall]:
        """Type `text`; returns what arrived in this chat during the step."""
        self.new()
        await self.scenario.step(
            lambda: self.api.send_text(self.user_id, text, chat_id=self.chat_id)
        )
        return self.new()

    async def send_photo(self) -> tuple[list[ApiCall], str]:
        """Send a photo; returns the new messages and the photo's file_id."""
        self.new()
        file_ids: list[str] = []

        def inject() -> int:
            update_id, file_id = self.api.send_photo(self.user_id, chat_id=self.chat_id)
            file_ids.append(file_id)
            self.photos.append(file_id)
            return update_id

        await self.scenario.step(inject)
        return self.new(), file_ids[0]

    async def send_media(self, kind: str) -> list[ApiCall]:
        self.new()
        await self.scenario.step(
            lambda: self.api.send_media(self.user_id, kind, chat_id=self.chat_id)
        )
        return self.new()

    async def edit(self, text: str) -> list[ApiCall]:
        self.new()
        await self.scenario.step(lambda: self.api.edit_text(self.user_id, text))
        return self.new()

    def button(self, label: str) -> tuple[str, int]:
        """(callback_data, message_id) of the newest message in this chat with a button
        labelled `label`."""
        for call in reversed(self.inbox()):
            for row in call.buttons:
                for text, data in row:
                    if text == label:
                        return data, _message_id(call)
        offered = [t for c in self.inbox() for row in c.buttons for t, _ in row]
        raise AssertionError(f"no button {label!r} in chat {self.chat}; offered: {offered}")

    def has_button(self, label: str) -> bool:
        return any(t == label for c in self.inbox() for row in c.buttons for t, _ in row)

    async def press(self, label: str) -> list[ApiCall]:
        """Press the newest button labelled `label` shown in this chat."""
        data, message_id = self.button(label)
        return await self.press_data(data, message_id=message_id)

    async def press_data(self, data: str, *, message_id: int | None = None) -> list[ApiCall]:
        """Press a button with this callback_data (perhaps forged, perhaps stale)."""
        self.new()
        self.last_press = await self.scenario.step(
            lambda: self.api.press_button(
                self.user_id, data, message_id=message_id, chat_id=self.chat_id
            )
        )
        return self.new()


def _message_id(call: ApiCall) -> int:
    result: Any = call.result
    if isinstance(result, list):
        result = result[-1]
    return int(result["message_id"])


def texts(calls: list[ApiCall]) -> str:
    return "\n".join(c.text or "" for c in calls)
