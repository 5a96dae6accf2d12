"""One inbound message being handled: its database session, the time, the replies so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation.messages import Button, Inbound, Outbound


@dataclass(slots=True)
class Turn:
    session: AsyncSession
    inbound: Inbound
    now: datetime
    replies: list[Outbound] = field(default_factory=list)

    def say(self, text: str, buttons: Sequence[Sequence[Button]] = ()) -> None:
        self.replies.append(Outbound(text=text, buttons=tuple(tuple(row) for row in buttons)))
