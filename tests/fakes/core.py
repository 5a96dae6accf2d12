"""A scripted conversation core for adapter tests: records every inbound, answers by a script."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from handlers.conversation.messages import Inbound, Outbound

UNSUPPORTED_REPLY = "暂不支持此类消息，请发送文字、图片或位置。"

Script = Callable[[Inbound], Awaitable[list[Outbound]] | list[Outbound]]


def default_script(inbound: Inbound) -> list[Outbound]:
    """Echo what arrived, in the core's words; unsupported media get the polite fixed reply."""
    if inbound.unsupported is not None:
        return [Outbound(UNSUPPORTED_REPLY)]
    if inbound.choice is not None:
        return [Outbound(f"你选择了：{inbound.choice}")]
    if inbound.photo is not None:
        return [Outbound("照片已收到。")]
    if inbound.location is not None:
        return [Outbound("位置已收到。")]
    return [Outbound(f"收到：{inbound.text}")]


class ScriptedCore:
    """Implements `ConversationCore`; `inbounds` lists what the adapter handed over, in order."""

    def __init__(self, script: Script = default_script, *, delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.inbounds: list[Inbound] = []
        self.active = 0  # turns running right now, to catch two turns of one user overlapping
        self.max_active_per_user: dict[str, int] = {}
        self._active_users: dict[str, int] = {}
        self.finished_at: list[float] = []

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        self.inbounds.append(inbound)
        now = self._active_users.get(inbound.user_id, 0) + 1
        self._active_users[inbound.user_id] = now
        self.max_active_per_user[inbound.user_id] = max(
            now, self.max_active_per_user.get(inbound.user_id, 0)
        )
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            result = self.script(inbound)
            if not isinstance(result, list):
                result = await result
            return result
        finally:
            self._active_users[inbound.user_id] -= 1
            self.finished_at.append(time.monotonic())

    async def wait_for(self, count: int, within: float = 5.0) -> list[Inbound]:
        """Wait until `count` inbounds have arrived; return them."""
        deadline = time.monotonic() + within
        while len(self.inbounds) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"core got {len(self.inbounds)} inbounds, wanted {count}")
            await asyncio.sleep(0.01)
        return self.inbounds[:count]
