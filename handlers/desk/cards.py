"""How a case looks in the work desk's chats: the unit's case card, the dispatcher's card and unit
menu, the supervisor's extension request. Personal data is masked (design.md §6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.policy.lifecycle import CaseState
from handlers.texts import Texts
from handlers.validation import mask_personal_data
from storage.models import Case

RETURN_REASONS = ("unit", "area", "info", "dup")
DEPARTMENTS_PER_PAGE = 10
_SUGGESTIONS = 3


class DuplicateHint(NamedTuple):
    """An earlier case that may be the same matter (可能重复), shown on the new case's card."""

    case_id: int
    number: str
    state: str
    similarity: float


class Cards:
    def __init__(self, texts: Texts, zone: ZoneInfo) -> None:
        self.t = texts
        self.zone = zone

    def local(self, moment: datetime | None) -> str:
        if moment is None:
            return self.t("card.none")
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    # -- the unit's case card ------------------------------------------------------------------

    def _summary(self, case: Case) -> dict[str, Any]:
        """The fields both cards show: number, type, category, place, the masked text."""
        t = self.t
        return {
            "number": case.number,
            "type": t(f"type.{case.request_type}"),
            "urgent": t("card.urgent") if case.urgency == "urgent" else "",
            "category": self._category(case),
            "place": self._place(case),
            "text": mask_personal_data(case.description),
        }

    def case_text(self, case: Case) -> str:
        t = self.t
        # The unit sees a phone number only if the resident agreed to be contacted directly.
        shared = case.share_identity and case.contact_phone
        body = t(
            "card.body",
            **self._summary(case),
            contact=case.contact_phone if shared else t("card.hidden"),
            state=t(f"state.{case.state}"),
            sign=self.local(case.sign_deadline),
            handle=self.local(case.handle_deadline),
        )
        if case.photos:
            body += "\n" + t("card.photos", n=len(case.photos))
        return body

    def staff_card(
        self,
        case: Case,
        *,
        now: datetime,
        new: bool = False,
        duplicates: Sequence[DuplicateHint] = (),
    ) -> Outbound:
        """The card with the buttons the case's state allows now (an old card's go stale), and
        a 可能重复 line with 并单 / 不是重复 per likely duplicate found on filing."""
        heading = self.t("card.new" if new else "card.current")
        lines, rows = self.duplicate_lines(case, duplicates)
        return Outbound(
            "\n".join([f"{heading}\n{self.case_text(case)}", *lines]),
            buttons=self._unit_buttons(case, now) + rows,
            photos=tuple(str(photo) for photo in case.photos or ()),
        )

    def duplicate_lines(
        self, case: Case, duplicates: Sequence[DuplicateHint]
    ) -> tuple[list[str], tuple[tuple[Button, ...], ...]]:
        """ "可能重复: AN…（相似度 0.xx，办理中）" lines and a 并单 / 不是重复 row for each.

        The buttons only name the cases and the version shown: the merge commands check the
        presser's role and unit, the states and the version on the server."""
        lines: list[str] = []
        rows: list[tuple[Button, ...]] = []
        for hint in duplicates:
            lines.append(
                self.t(
                    "card.duplicate",
                    parent=hint.number,
                    score=f"{hint.similarity:.2f}",
                    state=self.t(f"state.{hint.state}"),
                )
            )
            rows.append(
                (
                    Button(
                        self.t("btn.merge_into", parent=hint.number),
                        p.merge_action(case.id, hint.case_id, case.version),
                    ),
                    Button(
                        self.t("btn.not_duplicate_of", parent=hint.number),
                        p.dismiss_action(case.id, hint.case_id),
                    ),
                )
            )
        return lines, tuple(rows)

    def _unit_buttons(self, case: Case, now: datetime) -> tuple[tuple[Button, ...], ...]:
        t, cid, ver = self.t, case.id, case.version

        def b(label: str, act: str) -> Button:
            return Button(t(label), p.card_action(act, cid, ver))

        if case.state == CaseState.DISPATCHED:
            row = [b("btn.sign", "sign"), b("btn.reply", "reply")]
            if case.return_deadline is not None and now <= case.return_deadline:
                row.append(b("btn.return", "ret"))
            return (tuple(row),)
        if case.state == CaseState.REOPENED:
            # 重办: the unit signs for it again, then works it as before.
            return (
                (b("btn.sign", "sign"), b("btn.reply", "reply")),
                (b("btn.extend", "ext"), b("btn.resolve", "done")),
            )
        if case.state == CaseState.ACCEPTED:
            return (
                (b("btn.reply", "reply"), b("btn.extend", "ext")),
                (b("btn.resolve", "done"),),
            )
        return ()

    def return_reasons(self) -> Outbound:
        rows = [
            (Button(self.t(f"return.{code}"), p.build("s", "rr", code)),) for code in RETURN_REASONS
        ]
        rows.append((Button(self.t("btn.cancel"), "s:x"),))
        return Outbound(self.t("staff.ask_ret_reason"), tuple(rows))

    # -- the dispatcher's card -----------------------------------------------------------------

    def dispatcher_card(
        self,
        case: Case,
        *,
        returned: tuple[str, str] | None = None,
        duplicates: Sequence[DuplicateHint] = (),
    ) -> Outbound:
        """A case awaiting dispatch: the router's top units as buttons, then the full menu, and
        the 可能重复 lines with their buttons."""
        t = self.t
        suggested = suggestions(case, exclude=returned[0] if returned else None)
        text = t(
            "dispatch.card",
            **self._summary(case),
            suggestion="、".join(suggested) or t("card.none"),
        )
        if returned is not None:
            text += "\n" + t("dispatch.returned_by", unit=returned[0], reason=returned[1])
        lines, duplicate_rows = self.duplicate_lines(case, duplicates)
        text = "\n".join([text, *lines])
        rows: list[tuple[Button, ...]] = [(self._assign(case, unit),) for unit in suggested]
        rows.append(self._menu_switch(case))
        rows.extend(duplicate_rows)
        return Outbound(text, tuple(rows), photos=tuple(str(x) for x in case.photos or ()))

    def unit_menu(self, case: Case, page: str, names: Sequence[str]) -> Outbound:
        """One page of the two-level menu: every subdistrict, or a page of departments."""
        rows: list[tuple[Button, ...]] = []
        if page == "s":
            shown = list(names)
        else:
            index = int(page[1:] or 0)
            start = index * DEPARTMENTS_PER_PAGE
            shown = list(names[start : start + DEPARTMENTS_PER_PAGE])
        for first in range(0, len(shown), 2):
            rows.append(tuple(self._assign(case, name) for name in shown[first : first + 2]))
        if page != "s":
            nav = []
            if index > 0:
                nav.append(self._menu_button(case, "btn.prev", f"d{index - 1}"))
            if start + DEPARTMENTS_PER_PAGE < len(names):
                nav.append(self._menu_button(case, "btn.next", f"d{index + 1}"))
            if nav:
                rows.append(tuple(nav))
        rows.append(self._menu_switch(case))
        return Outbound(self.t("dispatch.pick", number=case.number), tuple(rows))

    def _assign(self, case: Case, unit: str) -> Button:
        return Button(unit, p.build("d", "as", case.id, case.version, p.unit_key(unit)))

    def _menu_button(self, case: Case, label: str, page: str) -> Button:
        return Button(self.t(label), p.build("d", "m", case.id, case.version, page))

    def _menu_switch(self, case: Case) -> tuple[Button, ...]:
        return (
            self._menu_button(case, "btn.by_subdistrict", "s"),
            self._menu_button(case, "btn.by_department", "d0"),
        )

    # -- the supervisor's extension request ----------------------------------------------------

    def extension_request(
        self, case: Case, *, event_id: int, days: int, reason: str, already: int, cap: int
    ) -> Outbound:
        text = self.t(
            "super.ext_request",
            number=case.number,
            unit=case.unit_name or "",
            days=days,
            reason=mask_personal_data(reason),
            deadline=self.local(case.handle_deadline),
            already=already,
            cap=cap,
        )
        buttons = (
            (
                Button(self.t("btn.approve"), p.build("v", "ok", event_id)),
                Button(self.t("btn.deny"), p.build("v", "no", event_id)),
            ),
        )
        return Outbound(text, buttons)

    def _category(self, case: Case) -> str:
        if case.category and case.subcategory:
            return f"{case.category} / {case.subcategory}"
        return case.category or self.t("summary.no_category")

    def _place(self, case: Case) -> str:
        # issue 9: a place typed by the resident may hold a phone number too.
        return mask_personal_data(case.place_text or case.place_unit or self.t("card.none"))


def suggestions(case: Case, *, exclude: str | None = None) -> list[str]:
    """The router's top units for a case: its choice, the runners-up, the place's subdistrict."""
    routing = case.routing or {}
    candidates = [routing.get("unit")]
    candidates += [alt.get("unit") for alt in routing.get("alternatives", [])]
    candidates += [routing.get("subdistrict"), case.place_unit]
    found: list[str] = []
    for unit in candidates:
        if isinstance(unit, str) and unit and unit != exclude and unit not in found:
            found.append(unit)
    return found[:_SUGGESTIONS]
