"""The work desk: every message from unit staff, dispatchers and supervisors, from group chats,
and every desk button, whoever pressed it, comes here before the resident dialog.

Who may do what is decided from the stored staff record (role and unit), never from the button:
a desk button pressed by someone without the role is refused, answered briefly and logged.
Group chats are for the unit's work; anything there from people who are not staff is ignored.
"""

from __future__ import annotations

import logging

from handlers.cases.commands import Refusal
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.dialogs import STAFF, OpenDialog, open_dialog
from handlers.conversation.turn import Turn
from handlers.desk.deskviews import DeskViews
from handlers.desk.dispatchdesk import DispatchDesk
from handlers.desk.enrolment import Enrolment, in_group
from handlers.desk.kbpropose import KbProposals
from handlers.desk.mergedesk import MergeDesk
from handlers.desk.supervisordesk import SupervisorDesk
from handlers.desk.unitdesk import CARD_ACTIONS, UnitDesk
from handlers.errors import Refused, UserError
from handlers.validation import mask_personal_data
from storage.drafts import load_draft
from storage.models import StaffMember
from storage.staff import UNIT_ROLES

log = logging.getLogger(__name__)

_DESK_PREFIXES = frozenset({p.STAFF, p.DISPATCHER, p.SUPERVISOR, p.MERGE})
# Commands only people of these roles may use.
_ROLE_COMMANDS = {
    "cases": UNIT_ROLES,
    "propose": UNIT_ROLES,
    "queue": frozenset({"dispatcher"}),
    "overdue": frozenset({"supervisor"}),
    "stats": frozenset({"supervisor"}),
}


class WorkDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.t = deps.texts
        self.enrolment = Enrolment(deps)
        self.unit = UnitDesk(deps)
        self.dispatch = DispatchDesk(deps)
        self.supervise = SupervisorDesk(deps)
        self.views = DeskViews(deps)
        self.merging = MergeDesk(deps)
        self.proposals = KbProposals(deps)

    async def handle(self, turn: Turn, member: StaffMember | None) -> bool:
        """Handle the message if it belongs to the desk; False hands it to the resident side.

        `member` is the writer's active staff membership, read by the core with their draft.
        """
        inbound = turn.inbound
        command, argument = inbound.command, inbound.argument
        try:
            if command == "join":
                await self.enrolment.join(turn, argument)
                return True
            if command == "bindgroup":
                await self.enrolment.bind_group(turn, argument)
                return True
            if member is None:
                return self._outsider(turn)
            await self._member(turn, member, command, argument)
        except Refusal as refusal:
            self._log_refusal(turn, refusal.detail)
            values = dict(refusal.values)
            if "state" in values:
                values["state"] = self.t(f"state.{values['state']}")
            self._refuse(turn, self.t(f"refusal.{refusal.code.value}", **values))
        except Refused as refusal:
            self._log_refusal(turn, refusal.reason)
            self._refuse(turn, self.t(refusal.key))
        except UserError as error:
            turn.say(self.t(error.key, **error.values))
        return True

    def _outsider(self, turn: Turn) -> bool:
        """Someone who is not staff: a desk button is refused; a group message is ignored."""
        choice = turn.inbound.choice
        parsed = p.parse(choice) if choice is not None else None
        if parsed is not None and parsed.prefix in _DESK_PREFIXES:
            raise Refused("desk button pressed by someone who is not staff")
        # Not ours: the resident side takes it, unless it was said in a group.
        return in_group(turn)

    async def _member(
        self, turn: Turn, member: StaffMember, command: str | None, argument: str
    ) -> None:
        inbound = turn.inbound
        if command is not None:
            await self._command(turn, member, command, argument)
            return
        draft = await self._staff_draft(turn)
        if inbound.choice is not None:
            parsed = p.parse(inbound.choice)
            if parsed is None:
                raise Refused("unparseable payload")
            if parsed.prefix == p.STAFF and parsed.action in CARD_ACTIONS:
                await self.unit.press(turn, member, parsed)
            elif parsed.prefix == p.DISPATCHER:
                await self.dispatch.press(turn, member, parsed)
            elif parsed.prefix == p.SUPERVISOR:
                await self.supervise.press(turn, member, parsed)
            elif parsed.prefix == p.MERGE:
                await self.merging.press(turn, member, parsed)
            elif parsed.prefix == p.STAFF and draft is not None:
                await self.unit.resume(turn, member, draft.step, draft.data)
            else:
                raise Refused("button not offered to this member now")
            return
        if inbound.unsupported is not None:
            if not in_group(turn):
                raise UserError("err.unsupported")
        elif draft is not None:
            await self.unit.resume(turn, member, draft.step, draft.data)
        elif not in_group(turn):
            # Staff talk among themselves in their group; only a private chat gets the help.
            self._help(turn, member)

    async def _command(self, turn: Turn, member: StaffMember, command: str, argument: str) -> None:
        allowed = _ROLE_COMMANDS.get(command)
        if allowed is not None and member.role not in allowed:
            raise Refused(f"/{command} is not for a {member.role}")
        if command in ("start", "help"):
            self._help(turn, member)
        elif command == "cancel":
            if await self._staff_draft(turn) is None:
                turn.say(self.t("desk.nothing_pending"))
            else:
                await self.unit.drop(turn)
        elif command == "case":
            await self.views.show_case(turn, member, argument)
        elif command == "cases":
            await self.views.unit_cases(turn, member)
        elif command == "propose":
            await self.proposals.propose(turn, member, argument)
        elif command == "queue":
            await self.dispatch.queue(turn)
        elif command == "overdue":
            await self.supervise.overdue(turn)
        elif command == "stats":
            await self.supervise.stats(turn, argument)
        else:
            raise UserError("desk.unknown_command", command=f"/{command}"[:32])

    async def _staff_draft(self, turn: Turn) -> OpenDialog | None:
        """The member's desk input in progress (an old resident draft of theirs is not one)."""
        inbound = turn.inbound
        row = await load_draft(
            session=turn.session, channel=inbound.channel, user_id=inbound.user_id
        )
        dialog = open_dialog(row)
        return dialog if dialog is not None and dialog.dialog is STAFF else None

    def _refuse(self, turn: Turn, text: str) -> None:
        """A refusal answers the button itself (a pop-up on Telegram), so a press in a unit's
        group never posts into the group; a typed command gets a message."""
        if turn.inbound.choice is not None:
            turn.say_notice(text)
        else:
            turn.say(text)

    def _help(self, turn: Turn, member: StaffMember) -> None:
        key = "staff" if member.role in UNIT_ROLES else member.role
        role = self.t(f"role.{member.role}")
        turn.say(self.t(f"desk.help.{key}", unit=member.unit_name, role=role))

    def _log_refusal(self, turn: Turn, reason: str) -> None:
        inbound = turn.inbound
        what = inbound.choice or mask_personal_data((inbound.text or "")[:64])
        log.warning(
            "refused %s/%s (chat %s) %r: %s",
            inbound.channel,
            inbound.user_id,
            inbound.chat_id,
            what,
            reason,
        )
