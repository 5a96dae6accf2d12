"""Joining the work desk with a one-time invite: `/join CODE` (a person) and `/bindgroup CODE`
(a unit's group chat)."""

from __future__ import annotations

import logging

from handlers.context import CoreDeps
from handlers.conversation.turn import Turn
from handlers.errors import Refused, UserError
from storage.staff import Redeemed, bind_unit_chat, enrol_staff, redeem_invite

log = logging.getLogger(__name__)


def in_group(turn: Turn) -> bool:
    """Whether the message came from a group chat (a private chat's id is the user's id)."""
    chat = turn.inbound.chat_id
    return chat is not None and chat != turn.inbound.user_id


class Enrolment:
    def __init__(self, deps: CoreDeps) -> None:
        self.t = deps.texts

    async def join(self, turn: Turn, code: str) -> None:
        inbound = turn.inbound
        redeemed = await _redeem(turn, code, inbound.user_id, group=False, usage="join.usage")
        member = await enrol_staff(
            session=turn.session,
            channel=inbound.channel,
            external_id=inbound.user_id,
            unit=redeemed.unit_name,
            role=redeemed.role,
            display_name=inbound.display_name,
            now=turn.now,
        )
        log.info("staff %s joined as %s of %s", member.id, member.role, member.unit_name)
        role = self.t(f"role.{member.role}")
        turn.say(self.t("join.done", unit=member.unit_name, role=role))
        key = "staff" if member.role in ("staff", "head") else member.role
        turn.say(self.t(f"desk.help.{key}", unit=member.unit_name, role=role))

    async def bind_group(self, turn: Turn, code: str) -> None:
        inbound = turn.inbound
        chat = inbound.chat_id or ""
        redeemed = await _redeem(turn, code, chat, group=True, usage="bindgroup.usage")
        await bind_unit_chat(
            session=turn.session,
            channel=inbound.channel,
            chat_id=chat,
            unit=redeemed.unit_name,
            now=turn.now,
        )
        log.info("group %s/%s bound to %s", inbound.channel, chat, redeemed.unit_name)
        turn.say(self.t("bindgroup.done", unit=redeemed.unit_name))


async def _redeem(turn: Turn, code: str, holder: str, *, group: bool, usage: str) -> Redeemed:
    """The invite behind `code`, used up by `holder` (a person, or a group chat)."""
    if in_group(turn) != group:
        raise UserError("bindgroup.group_only" if group else "join.private_only")
    if not code.strip():
        raise UserError(usage)
    redeemed = await redeem_invite(
        session=turn.session, code=code, used_by=f"{turn.inbound.channel}:{holder}", now=turn.now
    )
    if redeemed is None:
        # Unknown, expired and used codes get the same answer: no hint for a guesser.
        raise Refused("invalid invite code", key="join.invalid")
    return redeemed
