"""Joining the work desk with a one-time invite: `/join CODE` (a person) and `/bindgroup CODE`
(a unit's group chat)."""

from __future__ import annotations

import logging

from handlers.context import CoreDeps
from handlers.conversation.turn import Turn
from handlers.errors import Refused, UserError
from storage.staff import bind_unit_chat, enrol_staff, redeem_invite

log = logging.getLogger(__name__)


def in_group(turn: Turn) -> bool:
    """Whether the message came from a group chat (a private chat's id is the user's id)."""
    chat = turn.inbound.chat_id
    return chat is not None and chat != turn.inbound.user_id


class Enrolment:
    def __init__(self, deps: CoreDeps) -> None:
        self.t = deps.texts

    async def join(self, turn: Turn, code: str) -> None:
        if in_group(turn):
            raise UserError("join.private_only")
        if not code.strip():
            raise UserError("join.usage")
        inbound = turn.inbound
        redeemed = await redeem_invite(
            session=turn.session,
            code=code,
            used_by=f"{inbound.channel}:{inbound.user_id}",
            now=turn.now,
        )
        if redeemed is None:
            # Unknown, expired and used codes get the same answer: no hint for a guesser.
            raise Refused("invalid invite code", key="join.invalid")
        member = await enrol_staff(
            session=turn.session,
            channel=inbound.channel,
            external_id=inbound.user_id,
            unit=redeemed.unit_name,
            role=redeemed.role,
            display_name=inbound.display_name,
            now=turn.now,
        )
        log.info(
            "staff %s joined: %s/%s as %s of %s",
            member.id,
            inbound.channel,
            inbound.user_id,
            member.role,
            member.unit_name,
        )
        role = self.t(f"role.{member.role}")
        turn.say(self.t("join.done", unit=member.unit_name, role=role))
        key = "staff" if member.role in ("staff", "head") else member.role
        turn.say(self.t(f"desk.help.{key}", unit=member.unit_name, role=role))

    async def bind_group(self, turn: Turn, code: str) -> None:
        inbound = turn.inbound
        if not in_group(turn):
            raise UserError("bindgroup.group_only")
        if not code.strip():
            raise UserError("bindgroup.usage")
        assert inbound.chat_id is not None
        redeemed = await redeem_invite(
            session=turn.session,
            code=code,
            used_by=f"{inbound.channel}:{inbound.chat_id}",
            now=turn.now,
        )
        if redeemed is None:
            raise Refused("invalid invite code", key="join.invalid")
        await bind_unit_chat(
            session=turn.session,
            channel=inbound.channel,
            chat_id=inbound.chat_id,
            unit=redeemed.unit_name,
            now=turn.now,
        )
        log.info("group %s/%s bound to %s", inbound.channel, inbound.chat_id, redeemed.unit_name)
        turn.say(self.t("bindgroup.done", unit=redeemed.unit_name))
