"""One inbound message being handled: its database session, the time, the replies so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation.messages import Button, Inbound, Outbound
from storage.residents import ensure_resident_id


@dataclass(slots=True)
class Turn:
    session: AsyncSession
    inbound: Inbound
    now: datetime
    replies: list[Outbound] = field(default_factory=list)

    def say(
        self, text: str, buttons: Sequence[Sequence[Button]] = (), *, lasting: bool = False
    ) -> None:
        """Answer the person; `lasting` for what must reach them even after they have moved on
        (a case number), not only while the question is current (see Outbound.lasting)."""
        self.replies.append(
            Outbound(text=text, buttons=tuple(tuple(row) for row in buttons), lasting=lasting)
        )

    def say_notice(self, text: str) -> None:
        """A short answer to the pressed button itself (Telegram: the callback's pop-up), never
        a message posted into the chat; channels without pop-ups show it as a message."""
        self.replies.append(Outbound(text=text, notice=True))

    async def resident_id(self) -> int:
        """The id of the resident writing (created on their first filing)."""
        who = self.inbound
        return await ensure_resident_id(
            session=self.session,
            channel=who.channel,
            external_id=who.user_id,
            chat_id=who.chat_id,
            now=self.now,
        )
