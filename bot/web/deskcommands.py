"""The web workbench's only way to change a case: the case commands (handlers.cases.commands).

Each method opens one transaction, builds the `CommandContext` and the `Actor` from the stored
staff record (never from the form), and calls one command, so a sign in the browser and a sign
in Telegram are the same event with the same pushes. A `Refusal` becomes `ActionRefused`, worded
from the same text catalogue the chat desks use.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.app import App
from handlers.cases import commands
from handlers.cases.commands import Actor, CommandContext, Refusal, RefusalCode
from handlers.texts import Texts
from storage.models import StaffMember

log = logging.getLogger(__name__)

T = TypeVar("T")
_TEXTS = Texts("zh")  # the workbench speaks Chinese whatever the residents' language


class ActionRefused(Exception):
    """The action changed nothing; `message` is for the person, `code` for logs and tests."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# Where the chat wording speaks of cards and buttons, the page says it in its own terms.
_WEB_WORDS = {
    RefusalCode.STALE: "工单已有新进展，请刷新页面后再操作。",
    RefusalCode.BAD_DAYS: "延期天数须在 1 到 {left} 个工作日之间。",
    RefusalCode.UNKNOWN_UNIT: "没有这个单位，请从搜索框的列表中选择。",
}


def wording(refusal: Refusal) -> str:
    values = {"state": "", "deadline": "", "left": "", "cap": "", **refusal.values}
    if "state" in refusal.values:
        values["state"] = _TEXTS(f"state.{refusal.values['state']}")
    try:
        if refusal.code in _WEB_WORDS:
            return _WEB_WORDS[refusal.code].format(**values)
        return _TEXTS(f"refusal.{refusal.code.value}", **values)
    except (KeyError, IndexError, ValueError):
        return _TEXTS("refusal.forbidden")


@dataclass(frozen=True, slots=True)
class CaseWork:
    app: App

    async def _run(
        self, member: StaffMember, command: Callable[[CommandContext, Actor], Awaitable[T]]
    ) -> T:
        deps = self.app.deps
        try:
            async with self.app.sessionmaker() as session, session.begin():
                ctx = CommandContext(session=session, deps=deps, now=deps.clock.now())
                return await command(ctx, Actor.of_staff(member))
        except Refusal as refusal:
            raise ActionRefused(refusal.code, wording(refusal)) from refusal

    async def assign(self, member: StaffMember, case_id: int, *, version: int, unit: str) -> None:
        """派单: a dispatcher gives a case in the queue to a unit."""
        await self._run(
            member,
            lambda ctx, actor: commands.assign(ctx, actor, case_id, version=version, unit=unit),
        )

    async def sign(self, member: StaffMember, case_id: int, *, version: int) -> None:
        """签收."""
        await self._run(
            member, lambda ctx, actor: commands.sign(ctx, actor, case_id, version=version)
        )

    async def reply(self, member: StaffMember, case_id: int, *, version: int, text: str) -> None:
        """回复: the resident is told."""
        await self._run(
            member,
            lambda ctx, actor: commands.reply(ctx, actor, case_id, version=version, text=text),
        )

    async def request_extension(
        self, member: StaffMember, case_id: int, *, version: int, days: int, reason: str
    ) -> None:
        """延期: asks a supervisor for `days` more working days."""
        await self._run(
            member,
            lambda ctx, actor: commands.request_extension(
                ctx, actor, case_id, version=version, days=days, reason=reason
            ),
        )

    async def decide_extension(
        self, member: StaffMember, case_id: int, *, request_id: int, approve: bool
    ) -> None:
        """A supervisor approves or denies an extension request of this case."""
        await self._run(
            member,
            lambda ctx, actor: commands.decide_extension(ctx, actor, request_id, approve=approve),
        )

    async def return_case(
        self, member: StaffMember, case_id: int, *, version: int, reason: str, note: str | None
    ) -> None:
        """退单 with a reason code (RETURN_REASONS) and an optional note."""
        await self._run(
            member,
            lambda ctx, actor: commands.return_case(
                ctx, actor, case_id, version=version, reason=reason, note=note
            ),
        )

    async def resolve(
        self,
        member: StaffMember,
        case_id: int,
        *,
        version: int,
        result: str,
        photos: Sequence[str] = (),
    ) -> None:
        """办结 with the result (and the media store's photos) told to the resident."""
        await self._run(
            member,
            lambda ctx, actor: commands.resolve(
                ctx, actor, case_id, version=version, result=result, photos=photos
            ),
        )
