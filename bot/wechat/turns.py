"""One WeChat callback's turn: the channel's own bookkeeping around the transport-free core.

Before the core: the 48-hour window opens afresh, pushes held while it was closed are released,
a typed number becomes the payload of the choice it stood for. After: the new choices are
remembered. All of it is in the database, so any instance can take the person's next message.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.wechat.choices import Rendered, choice_for, chosen_number, render
from bot.wechat.parse import Incoming, Kind
from bot.wechat.photos import PhotoKeeper
from handlers.context import CoreDeps
from handlers.conversation.messages import Channel, Inbound, Outbound
from storage.models import WeChatContact
from storage.outbox import release_held
from storage.residents import get_resident
from storage.wechat import note_inbound, save_menu, set_followed

_EXPECT_CASE_NUMBER = "status"


class ConversationCore(Protocol):
    async def handle(self, inbound: Inbound) -> list[Outbound]: ...


class WeChatTurns:
    def __init__(
        self,
        *,
        core: ConversationCore,
        deps: CoreDeps,
        photos: PhotoKeeper | None = None,
    ) -> None:
        self._core = core
        self._photos = photos
        self._sessionmaker, self._clock, self._texts = deps.sessionmaker, deps.clock, deps.texts

    async def take(self, incoming: Incoming) -> Rendered:
        """What to answer the callback with (empty text: nothing, e.g. for a duplicate)."""
        if incoming.kind is Kind.IGNORE:
            return Rendered("")
        if self._photos is not None and incoming.inbound is not None:
            # Before the transaction below: a download may take seconds.
            kept = await self._photos.keep(incoming.inbound)
            incoming = dataclasses.replace(incoming, inbound=kept)
        now = self._clock.now()
        openid = incoming.openid
        async with self._sessionmaker() as session, session.begin():
            if incoming.kind is Kind.UNFOLLOW:
                await set_followed(session=session, openid=openid, followed=False, now=now)
                await self._set_reachable(session, openid, reachable=False)
                return Rendered("")
            contact = await note_inbound(session=session, openid=openid, now=now)
            released = await release_held(
                session=session, channel=Channel.WECHAT, recipient=openid, now=now
            )
            if incoming.follow:
                await self._set_reachable(session, openid, reachable=True)
            inbound: Inbound | None = None
            if incoming.kind is Kind.ASK_CASE_NUMBER:
                contact.expect = _EXPECT_CASE_NUMBER
                contact.menu_current = False
            else:
                assert incoming.inbound is not None
                inbound = self._resolve(incoming.inbound, contact)
                contact.expect = None
        notice = self._texts("wechat.held_notice", n=released) if released else ""
        if inbound is None:
            return Rendered(_join(notice, self._texts("wechat.ask_case_number")))
        replies = await self._core.handle(inbound)
        if not replies:
            return Rendered(notice)
        rendered = render(replies, self._texts)
        async with self._sessionmaker() as session, session.begin():
            await save_menu(
                session=session, openid=openid, payloads=list(rendered.payloads), now=now
            )
        return dataclasses.replace(rendered, text=_join(notice, rendered.text))

    def _resolve(self, inbound: Inbound, contact: WeChatContact) -> Inbound:
        """A typed number as the choice it stands for; the case number asked for by 查询进度."""
        text = inbound.text
        if text is None or inbound.choice is not None:
            return inbound
        if contact.expect == _EXPECT_CASE_NUMBER and text.strip() and not text.startswith("/"):
            return dataclasses.replace(inbound, command="status", argument=text.strip())
        number = chosen_number(text)
        if number is None:
            return inbound
        choice = choice_for(number, list(contact.menu), contact.menu_current)
        if choice is None:
            return inbound
        return dataclasses.replace(inbound, text=None, choice=choice)

    async def _set_reachable(self, session: AsyncSession, openid: str, *, reachable: bool) -> None:
        resident = await get_resident(session=session, channel=Channel.WECHAT, external_id=openid)
        if resident is not None:
            resident.reachable = reachable


def _join(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)
