"""Answering a pressed inline button (answerCallbackQuery) exactly once, with or without text.

The answer is given after the core has handled the press, so a refusal can be its pop-up text
(seen only by the presser, never posted into a unit's group); a press the core answers in the
chat gets an empty answer, which stops the client's spinner.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class CallbackAnswer:
    def __init__(self, answer: Callable[..., Awaitable[Any]]) -> None:
        self._answer = answer
        self._done = False

    async def notice(self, text: str) -> None:
        # Telegram shows at most 200 characters in a callback answer.
        await self._send(text=text[:200], show_alert=True)

    async def finish(self) -> None:
        await self._send()

    async def _send(self, **kwargs: Any) -> None:
        if self._done:
            return
        self._done = True
        try:
            await self._answer(**kwargs)
        except Exception as exc:  # a late or repeated answer must not cost the press itself
            log.warning("telegram: answerCallbackQuery failed: %r", exc)
