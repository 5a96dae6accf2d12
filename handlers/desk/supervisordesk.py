"""The supervisor (督查员) in chat: overdue cases, figures, and the buttons deciding extension
requests (延期审批), which call the `decide_extension` command."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext
from handlers.context import CoreDeps
from handlers.conversation.payloads import Payload
from handlers.conversation.turn import Turn
from handlers.desk.cards import Cards
from handlers.errors import Refused, UserError
from handlers.policy.lifecycle import CaseState
from handlers.report import build_report, format_report
from storage.casequeries import overdue_cases
from storage.models import Case, StaffMember

log = logging.getLogger(__name__)

UNSIGNED = (CaseState.DISPATCHED.value,)
HANDLING = (CaseState.ACCEPTED.value, CaseState.REOPENED.value)
PERIODS = ("today", "week", "month")


class SupervisorDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.cards = Cards(deps.texts, deps.zone)

    # -- /overdue -------------------------------------------------------------------------------

    async def overdue(self, turn: Turn) -> None:
        cases = await overdue_cases(
            session=turn.session, unsigned=UNSIGNED, handling=HANDLING, now=turn.now
        )
        if not cases:
            turn.say(self.t("super.overdue_none"))
            return
        by_unit: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            by_unit[case.unit_name or "-"].append(case)
        lines = [self.t("super.overdue_header", n=len(cases))]
        for unit, unit_cases in by_unit.items():
            lines.append(self.t("super.overdue_unit", unit=unit))
            for case in unit_cases:
                signing = case.state in UNSIGNED
                lines.append(
                    self.t(
                        "super.overdue_line",
                        number=case.number,
                        kind=self.t("super.overdue.sign" if signing else "super.overdue.handle"),
                        deadline=self.cards.local(
                            case.sign_deadline if signing else case.handle_deadline
                        ),
                    )
                )
        turn.say("\n".join(lines))

    # -- /stats ---------------------------------------------------------------------------------

    async def stats(self, turn: Turn, argument: str) -> None:
        """Figures for cases received since the start of today, this week or this month."""
        period = argument.strip().lower() or "today"
        if period not in PERIODS:
            raise UserError("super.stats_usage")
        report = await build_report(
            turn.session,
            start=self._period_start(turn.now, period),
            end=turn.now,
            unit=None,
            now=turn.now,
            calendar=self.deps.calendar,
        )
        turn.say(format_report(report, self.t, zone=self.deps.zone))

    def _period_start(self, now: datetime, period: str) -> datetime:
        local = now.astimezone(self.deps.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        if period == "week":
            local -= timedelta(days=local.weekday())
        elif period == "month":
            local = local.replace(day=1)
        return local

    # -- extension decisions --------------------------------------------------------------------

    async def press(self, turn: Turn, member: StaffMember, payload: Payload) -> None:
        """v:ok:<event_id> approves, v:no:<event_id> denies an extension request."""
        if payload.action not in ("ok", "no"):
            raise Refused("unknown supervisor action")
        approve = payload.action == "ok"
        ctx = CommandContext(turn.session, self.deps, turn.now)
        case = await cmd.decide_extension(
            ctx, Actor.of_staff(member), payload.int_field(0), approve=approve
        )
        if approve:
            when = self.cards.local(case.handle_deadline)
            turn.say(self.t("super.ext_approved", number=case.number, deadline=when))
        else:
            turn.say(self.t("super.ext_denied", number=case.number))
