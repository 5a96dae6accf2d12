"""The web workbench's only way to change a case: the case commands (handlers.cases.commands).

`run_command` opens one transaction, builds the `CommandContext` and the `Actor` from the
stored staff record (never from the form), and calls one command, so a sign in the browser and a
sign in Telegram are the same event with the same pushes. A `Refusal` becomes `ActionRefused`,
worded from the same text catalogue the chat desks use.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.app import App
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


async def run_command(
    app: App,
    member: StaffMember,
    command: Callable[..., Awaitable[T]],
    *args: object,
    **kwargs: object,
) -> T:
    """`command(ctx, actor, *args, **kwargs)` in one transaction, as `member` (the actor is
    built from the stored staff record, never from the form); a refusal becomes
    `ActionRefused` in the page's words."""
    deps = app.deps
    try:
        async with app.sessionmaker() as session, session.begin():
            ctx = CommandContext(session=session, deps=deps, now=deps.clock.now())
            return await command(ctx, Actor.of_staff(member), *args, **kwargs)
    except Refusal as refusal:
        raise ActionRefused(refusal.code, wording(refusal)) from refusal
