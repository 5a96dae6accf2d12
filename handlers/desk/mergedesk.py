"""The 并单 / 不是重复 buttons under a 可能重复 notice (issue 13), for dispatchers, supervisors and
the unit's staff. The payload only names the cases; the merge commands check the presser's
stored role and unit, the cases' states and the version shown."""

from __future__ import annotations

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button
from handlers.conversation.turn import Turn
from handlers.errors import Refused
from storage.models import Case, StaffMember


class MergeDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def press(self, turn: Turn, member: StaffMember, payload: p.Payload) -> None:
        """m:mg:<case>:<parent>:<version> merges (and offers 拆单); m:nd:<case>:<other>
        dismisses; m:um:<case>:<version> unmerges."""
        case_id, second = payload.int_field(0), payload.int_field(1)
        if case_id is None or second is None:
            raise Refused("merge button without case ids")
        ctx = CommandContext(turn.session, self.deps, turn.now)
        actor = Actor.of_staff(member)
        if payload.action == "mg" and len(payload.fields) == 3:
            child = await cmd.merge(ctx, actor, case_id, second, version=payload.int_field(2))
            parent = await turn.session.get(Case, child.parent_id or 0)
            undo = Button(self.t("btn.unmerge"), p.unmerge_action(child.id, child.version))
            turn.say(
                self.t("merge.done", number=child.number, parent=parent.number if parent else "-"),
                [[undo]],
            )
        elif payload.action == "um" and len(payload.fields) == 2:
            before = await turn.session.get(Case, case_id)
            parent = await turn.session.get(Case, before.parent_id or 0) if before else None
            child = await cmd.unmerge(ctx, actor, case_id, version=second)
            turn.say(
                self.t(
                    "merge.unmerged", number=child.number, parent=parent.number if parent else "-"
                )
            )
        elif payload.action == "nd" and len(payload.fields) == 2:
            event = await cmd.dismiss_duplicate(ctx, actor, case_id, second)
            case = await turn.session.get(Case, case_id)
            turn.say(
                self.t(
                    "merge.dismissed", number=case.number if case else "-", parent=event.note or "-"
                )
            )
        else:
            raise Refused("unknown merge action")
