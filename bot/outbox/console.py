"""The console channel's outbox sender: pushes for console residents print in the terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.delivery import DeliveryResult
from handlers.conversation.messages import Outbound


class ConsoleSender:
    """Prints each push (notifications, callbacks) with the buttons it carries."""

    channel = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        print(f"\n📣 ({recipient}) {message.text}", file=self._out)
        for button in message.all_buttons():
            print(f"  [{button.label}]  {button.payload}", file=self._out)
        self._out.flush()
        return DeliveryResult.sent()
