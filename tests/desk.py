"""Helpers for the work-desk tests: invites, people in private and group chats, the outbox."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from handlers.cases import commands as cmd
from handlers.conversation.messages import Inbound, Outbound
from storage.models import Case, OutboxMessage
from storage.residents import ensure_resident_id
from storage.staff import create_invite
from tests.support import ResidentClient, texts

NUMBER = re.compile(r"AN\d{8}-\d{4}")
# Names 建宁路 (培黎街道) and a clear matter, so the router places it without questions.
CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险，电话13912345678"
_ids = itertools.count(1)


async def invite(app: App, unit: str, role: str, *, ttl: timedelta = timedelta(hours=72)) -> str:
    async with app.sessionmaker() as session, session.begin():
        return await create_invite(
            session=session, unit=unit, role=role, now=app.deps.clock.now(), ttl=ttl
        )


@dataclass
class Person:
    """Someone talking to the bot, in their private chat or (with `chat`) in a group."""

    app: App
    user_id: str
    channel: str = "telegram"
    last: list[Outbound] = field(default_factory=list)

    async def send(self, text: str, *, chat: str | None = None) -> list[Outbound]:
        return await self._deliver(chat, text=text)

    async def press(self, payload: str, *, chat: str | None = None) -> list[Outbound]:
        return await self._deliver(chat, choice=payload)

    async def photo(self, file_id: str, *, chat: str | None = None) -> list[Outbound]:
        return await self._deliver(chat, photo=file_id)

    async def _deliver(self, chat: str | None, **kwargs: Any) -> list[Outbound]:
        inbound = Inbound(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=chat or self.user_id,
            message_id=f"d{next(_ids)}",
            **kwargs,
        )
        self.last = await self.app.conversation.handle(inbound)
        return self.last

    def text(self) -> str:
        return texts(self.last)


async def join(app: App, user_id: str, unit: str, role: str = "staff") -> Person:
    person = Person(app, user_id)
    replies = await person.send(f"/join {await invite(app, unit, role)}")
    assert unit in texts(replies), texts(replies)
    return person


async def file_case(app: App, description: str = CLEAR, *, user_id: str = "r1") -> str:
    """A resident files a complaint through the intake dialog; returns its number."""
    client = ResidentClient(app.conversation, user_id=user_id)
    await client.send("/new")
    await client.click("投诉")
    await client.send(description)
    if "地点" in client.text():
        await client.click("跳过")
    if "照片" in client.text():
        await client.photo("resident-photo-1")
        await client.click("完成")
    await client.click("匿名")
    replies = await client.click("提交")
    match = NUMBER.search(texts(replies))
    assert match, texts(replies)
    return match.group(0)


async def file_pending(app: App, *, user_id: str = "r1") -> str:
    """A case the router could not place (待派单), filed as intake would file it."""
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        resident_id = await ensure_resident_id(
            session=session, channel="telegram", external_id=user_id, chat_id=user_id, now=now
        )
        filing = cmd.NewCase(
            resident_id=resident_id,
            channel="telegram",
            request_type="question",
            description="我想问一下这个事情应该找谁办理比较好",
            decision={
                "unit": None,
                "category": "社会保障",
                "alternatives": [{"unit": "区民政局"}, {"unit": "区人力资源和社会保障局"}],
            },
        )
        ctx = cmd.CommandContext(session, app.deps, now)
        case = await cmd.file_case(ctx, cmd.Actor.of_resident(resident_id), filing)
        return case.number


async def case_by_number(app: App, number: str) -> Case:
    async with app.sessionmaker() as session:
        return (await session.execute(select(Case).where(Case.number == number))).scalar_one()


async def outbox(app: App, recipient: str | None = None) -> list[OutboxMessage]:
    async with app.sessionmaker() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return list((await session.execute(statement)).scalars())


def button(payload: dict[str, Any], label: str) -> str:
    """The payload of the button with this label in an outbox message (fails if absent)."""
    for row in payload["buttons"]:
        for b in row:
            if b["label"] == label:
                return str(b["payload"])
    raise AssertionError(f"no button {label!r} in {payload}")


def reply_button(replies: list[Outbound], label: str) -> str:
    for reply in replies:
        for b in reply.all_buttons():
            if b.label == label:
                return b.payload
    raise AssertionError(f"no button {label!r} in {[r.text for r in replies]}")
