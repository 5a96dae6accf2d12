"""The web workbench's only way to change a case: one method per case command.

Every page action calls `CaseWork`, never the database. Its methods have the shape of the case
commands (notes/commands_api.md: `assign`, `sign`, `reply`, `request_extension`,
`decide_extension`, `return_case`, `resolve`) and raise `ActionRefused` with the same reason
codes as their `Refusal`.

INTERIM (until handlers/cases/commands.py lands on main): the methods drive the existing chat
work desk as the signed-in person's own chat identity, pressing the same buttons and typing the
same answers as in Telegram. So the checks, events, version bumps and outbox pushes are exactly
the chat ones; the desk answers in its own transaction per step. The switch to the commands is
this file only: open `async with sessionmaker() as s, s.begin()`, build the CommandContext and
call the command; map `Refusal.code` to `ActionRefused`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from bot.app import App
from handlers.cases.extensions import extension_status
from handlers.conversation import payloads as p
from handlers.conversation.messages import Inbound, Outbound
from handlers.desk.cards import RETURN_REASONS
from handlers.policy.lifecycle import CaseState
from storage.models import Case, CaseEvent, StaffMember
from storage.staff import unit_exists

log = logging.getLogger(__name__)


class RefusalCode(StrEnum):
    """The case commands' reason codes (the ones the web pages can meet)."""

    NOT_FOUND = "not_found"
    NOT_YOUR_UNIT = "not_your_unit"
    STALE = "stale"
    WRONG_STATE = "wrong_state"
    FORBIDDEN = "forbidden"
    UNKNOWN_UNIT = "unknown_unit"
    BAD_INPUT = "bad_input"
    ALREADY_DECIDED = "already_decided"


class ActionRefused(Exception):
    """The action changed nothing; `message` is for the person, `code` for logs and tests."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


_UNIT_ROLES = frozenset({"staff", "head"})
_SIGNABLE = frozenset({CaseState.DISPATCHED.value, CaseState.REOPENED.value})
_REPLYABLE = frozenset(
    {CaseState.DISPATCHED.value, CaseState.ACCEPTED.value, CaseState.REOPENED.value}
)
_WORKING = frozenset({CaseState.ACCEPTED.value, CaseState.REOPENED.value})
_RETURNABLE = frozenset({CaseState.DISPATCHED.value})
_MESSAGES = {
    RefusalCode.NOT_FOUND: "没有这个工单",
    RefusalCode.NOT_YOUR_UNIT: "不属于本单位的工单",
    RefusalCode.STALE: "工单已有新进展，请刷新后再操作",
    RefusalCode.WRONG_STATE: "工单当前状态不允许此操作",
    RefusalCode.FORBIDDEN: "您的角色不能做此操作",
    RefusalCode.UNKNOWN_UNIT: "没有这个单位",
    RefusalCode.BAD_INPUT: "请填写完整",
    RefusalCode.ALREADY_DECIDED: "该延期申请已处理",
}


def refused(code: RefusalCode, message: str | None = None) -> ActionRefused:
    return ActionRefused(code, message or _MESSAGES[code])


@dataclass(frozen=True, slots=True)
class CaseWork:
    app: App

    # -- the commands ----------------------------------------------------------------------------

    async def assign(self, member: StaffMember, case_id: int, *, version: int, unit: str) -> None:
        """派单: a dispatcher gives a case in the queue to a unit."""
        if member.role != "dispatcher":
            raise refused(RefusalCode.FORBIDDEN)
        await self._check(case_id, version, {CaseState.PENDING_DISPATCH.value})
        async with self.app.sessionmaker() as session:
            if not await unit_exists(session=session, name=unit):
                raise refused(RefusalCode.UNKNOWN_UNIT)
        await self._drive(
            member, case_id, [_press(p.build("d", "as", case_id, version, p.unit_key(unit)))]
        )

    async def sign(self, member: StaffMember, case_id: int, *, version: int) -> None:
        """签收."""
        await self._check_unit(member, case_id, version, _SIGNABLE)
        await self._drive(member, case_id, [_press(f"s:sign:{case_id}:{version}")])

    async def reply(self, member: StaffMember, case_id: int, *, version: int, text: str) -> None:
        """回复: the resident is told."""
        text = _required(text)
        await self._check_unit(member, case_id, version, _REPLYABLE)
        await self._drive(
            member,
            case_id,
            [_press(f"s:reply:{case_id}:{version}"), _type(text)],
            expect_event=("replied", member),
        )

    async def request_extension(
        self, member: StaffMember, case_id: int, *, version: int, days: int, reason: str
    ) -> None:
        """延期: asks a supervisor for `days` more working days."""
        reason = _required(reason)
        if days < 1:
            raise refused(RefusalCode.BAD_INPUT, "延期天数至少 1 个工作日")
        await self._check_unit(member, case_id, version, _WORKING)
        await self._drive(
            member,
            case_id,
            [_press(f"s:ext:{case_id}:{version}"), _type(reason), _press(f"s:ed:{days}")],
            expect_event=("extension_requested", member),
        )

    async def decide_extension(
        self, member: StaffMember, case_id: int, *, request_id: int, approve: bool
    ) -> None:
        """A supervisor approves or denies an extension request."""
        if member.role != "supervisor":
            raise refused(RefusalCode.FORBIDDEN)
        async with self.app.sessionmaker() as session:
            request = await session.get(CaseEvent, request_id)
            if request is None or request.case_id != case_id:
                raise refused(RefusalCode.NOT_FOUND, "没有这个延期申请")
            status = await extension_status(session=session, case_id=case_id)
            if request_id in status.decided:
                raise refused(RefusalCode.ALREADY_DECIDED)
        action = "extension_approved" if approve else "extension_denied"
        await self._drive(
            member,
            case_id,
            [_press(p.build("v", "ok" if approve else "no", request_id))],
            expect_event=(action, member),
        )

    async def return_case(
        self, member: StaffMember, case_id: int, *, version: int, reason: str, note: str | None
    ) -> None:
        """退单 with a reason code (RETURN_REASONS) and an optional note."""
        if reason not in RETURN_REASONS:
            raise refused(RefusalCode.BAD_INPUT, "请选择退回原因")
        await self._check_unit(member, case_id, version, _RETURNABLE)
        steps = [_press(f"s:ret:{case_id}:{version}"), _press(f"s:rr:{reason}")]
        steps.append(_type(note.strip()) if note and note.strip() else _press("s:skip"))
        await self._drive(member, case_id, steps)

    async def resolve(
        self, member: StaffMember, case_id: int, *, version: int, result: str
    ) -> None:
        """办结 with the result told to the resident."""
        result = _required(result)
        await self._check_unit(member, case_id, version, _WORKING)
        await self._drive(
            member, case_id, [_press(f"s:done:{case_id}:{version}"), _type(result), _press("s:fin")]
        )

    # -- checks ----------------------------------------------------------------------------------

    async def _check(self, case_id: int, version: int, states: frozenset[str] | set[str]) -> Case:
        async with self.app.sessionmaker() as session:
            case = await session.get(Case, case_id)
        if case is None:
            raise refused(RefusalCode.NOT_FOUND)
        if case.version != version:
            raise refused(RefusalCode.STALE)
        if case.state not in states:
            raise refused(RefusalCode.WRONG_STATE)
        return case

    async def _check_unit(
        self, member: StaffMember, case_id: int, version: int, states: frozenset[str]
    ) -> Case:
        async with self.app.sessionmaker() as session:
            case = await session.get(Case, case_id)
        if case is None:
            raise refused(RefusalCode.NOT_FOUND)
        if member.role not in _UNIT_ROLES or case.unit_name != member.unit_name:
            raise refused(RefusalCode.NOT_YOUR_UNIT)
        return await self._check(case_id, version, states)

    # -- driving the desk ------------------------------------------------------------------------

    async def _drive(
        self,
        member: StaffMember,
        case_id: int,
        steps: list[dict[str, str]],
        *,
        expect_event: tuple[str, StaffMember] | None = None,
    ) -> None:
        before_version, before_event = await self._marks(case_id)
        replies: list[Outbound] = []
        for step in steps:
            replies = await self.app.conversation.handle(
                Inbound(
                    channel=member.channel,
                    user_id=member.external_id,
                    chat_id=member.external_id,
                    message_id=f"web:{uuid.uuid4().hex}",
                    **step,  # type: ignore[arg-type]
                )
            )
        after_version, _ = await self._marks(case_id)
        done = after_version > before_version
        if expect_event is not None:
            done = await self._has_event(case_id, before_event, *expect_event)
        if not done:
            # Leave no half-typed desk input behind in the person's chat.
            await self.app.conversation.handle(
                Inbound(
                    channel=member.channel,
                    user_id=member.external_id,
                    chat_id=member.external_id,
                    message_id=f"web:{uuid.uuid4().hex}",
                    choice="s:x",
                )
            )
            said = " ".join(r.text for r in replies).strip()
            log.warning(
                "web: staff %s action on case %s refused by the desk: %s", member.id, case_id, said
            )
            raise refused(RefusalCode.WRONG_STATE, said or None)

    async def _marks(self, case_id: int) -> tuple[int, int]:
        async with self.app.sessionmaker() as session:
            version = await session.execute(select(Case.version).where(Case.id == case_id))
            newest = await session.execute(
                select(func.max(CaseEvent.id)).where(CaseEvent.case_id == case_id)
            )
            return int(version.scalar_one()), int(newest.scalar_one() or 0)

    async def _has_event(self, case_id: int, after: int, action: str, member: StaffMember) -> bool:
        async with self.app.sessionmaker() as session:
            found = await session.execute(
                select(CaseEvent.id).where(
                    CaseEvent.case_id == case_id,
                    CaseEvent.id > after,
                    CaseEvent.action == action,
                    CaseEvent.actor_id == str(member.id),
                )
            )
            return found.first() is not None


def _press(payload: str) -> dict[str, str]:
    return {"choice": payload}


def _type(text: str) -> dict[str, str]:
    return {"text": text}


def _required(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise refused(RefusalCode.BAD_INPUT)
    if len(cleaned) > 1000:
        raise refused(RefusalCode.BAD_INPUT, "内容最多 1000 字")
    return cleaned
