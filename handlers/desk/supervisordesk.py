"""The supervisor (督查员): overdue cases, figures, and deciding extension requests (延期审批).

An approval moves the handling deadline (capped over the case's life), bumps the case version
(the unit's old card goes stale; a fresh one is pushed) and tells the resident the new date and
the reason. A denial tells the staff member who asked.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from handlers.cases import notify
from handlers.cases.events import Refused, actor_of, record
from handlers.cases.extensions import APPROVED, DENIED, REQUESTED, extension_status
from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from handlers.conversation.payloads import Payload
from handlers.conversation.turn import Turn
from handlers.desk.cards import Cards
from handlers.errors import UserError
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import SlaError, extend
from handlers.report import build_report, format_report
from storage.casequeries import overdue_cases
from storage.cases import get_case_for_update
from storage.models import Case, CaseEvent, StaffMember

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
        if member.role != "supervisor":
            raise Refused(f"supervisor button pressed by {member.role}")
        if payload.action not in ("ok", "no"):
            raise Refused("unknown supervisor action")
        request_id = payload.int_field(0)
        request = await turn.session.get(CaseEvent, request_id) if request_id else None
        if request is None or request.action != REQUESTED:
            raise Refused(f"no extension request {request_id}")
        case = await get_case_for_update(session=turn.session, case_id=request.case_id)
        assert case is not None
        status = await extension_status(session=turn.session, case_id=case.id)
        if request.id in status.decided:
            raise Refused(f"extension request {request.id} already decided")
        if case.state not in HANDLING or case.unit_name != request.data.get("unit"):
            raise Refused(f"case {case.number} moved on since the request")
        if payload.action == "ok":
            await self._approve(turn, member, case, request, status.granted_days)
        else:
            await self._deny(turn, member, case, request)

    async def _approve(
        self, turn: Turn, member: StaffMember, case: Case, request: CaseEvent, granted: int
    ) -> None:
        days = int(request.data.get("days", 0))
        assert case.handle_deadline is not None
        try:
            deadline = extend(
                self.deps.calendar,
                self.deps.sla,
                case.handle_deadline,
                days,
                already_extended=granted,
            )
        except SlaError as error:
            raise Refused(str(error)) from error
        reason = request.note or ""
        await record(
            session=turn.session,
            case=case,
            now=turn.now,
            actor=actor_of(member),
            action=APPROVED,
            note=reason,
            data={"request": request.id, "days": days, "deadline": deadline.isoformat()},
        )
        case.handle_deadline = deadline
        # A moved deadline is a new plan: the version bump re-arms the reminder sweep (issue 4)
        # and makes the unit's old card stale, so a fresh one goes out below.
        case.version += 1
        now, stamp, when = turn.now, notify.version_stamp(case), self.cards.local(deadline)
        session = turn.session
        await notify.push(
            session=session,
            case=case,
            kind=notify.RESIDENT_STEP,
            stamp=stamp,
            recipients=await notify.resident_recipient(session=session, case=case),
            message=Outbound(
                self.t("resident.extended", number=case.number, deadline=when, reason=reason)
            ),
            now=now,
        )
        card = self.cards.staff_card(case, now=now)
        await notify.push(
            session=session,
            case=case,
            kind=notify.EXTENSION_DECIDED,
            stamp=stamp,
            recipients=await self._requester(turn, request),
            message=Outbound(
                self.t("staff.ext_approved", number=case.number, deadline=when) + "\n" + card.text,
                buttons=card.buttons,
            ),
            now=now,
        )
        turn.say(self.t("super.ext_approved", number=case.number, deadline=when))

    async def _deny(self, turn: Turn, member: StaffMember, case: Case, request: CaseEvent) -> None:
        event = await record(
            session=turn.session,
            case=case,
            now=turn.now,
            actor=actor_of(member),
            action=DENIED,
            data={"request": request.id, "days": request.data.get("days")},
        )
        await notify.push(
            session=turn.session,
            case=case,
            kind=notify.EXTENSION_DECIDED,
            stamp=notify.event_stamp(event.id),
            recipients=await self._requester(turn, request),
            message=Outbound(
                self.t(
                    "staff.ext_denied",
                    number=case.number,
                    deadline=self.cards.local(case.handle_deadline),
                )
            ),
            now=turn.now,
        )
        turn.say(self.t("super.ext_denied", number=case.number))

    async def _requester(self, turn: Turn, request: CaseEvent) -> list[notify.Recipient]:
        """The staff member who asked, if still active (else the unit: someone must know)."""
        member = None
        if request.actor_id and request.actor_id.isdigit():
            member = await turn.session.get(StaffMember, int(request.actor_id))
        if member is not None and member.active:
            return [notify.Recipient(member.channel, member.external_id)]
        unit = str(request.data.get("unit") or "")
        return await notify.unit_recipients(session=turn.session, unit=unit)
