"""Dialogs in progress, one per chat identity, each in its own namespace of the drafts table.

Three dialogs keep state between messages: the resident's intake (立案), the resident's message
about a filed case (补充, or "add or new?"), and a staff member's input for a case (reply text,
reasons, result). The drafts row holds `<dialog>:<step>` in its step column; this module is the
only place that writes or reads that form, so a dialog never mistakes another's row for its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.conversation.turn import Turn
from storage.drafts import delete_draft, save_draft
from storage.models import Draft


class Dialog(StrEnum):
    INTAKE = "intake"  # a new case being described
    CASE = "case"  # a message about a filed case: 补充 text, or "add to it or new?"
    STAFF = "staff"  # a staff member's input for a case card


INTAKE, CASE, STAFF = Dialog.INTAKE, Dialog.CASE, Dialog.STAFF


@dataclass(frozen=True, slots=True)
class OpenDialog:
    dialog: Dialog
    step: str
    data: dict[str, Any]


def open_dialog(row: Draft | None) -> OpenDialog | None:
    """The dialog a drafts row holds. Rows written before namespaces (a bare intake step, or
    "case:…"/"staff:…") read as the same dialogs, so conversations survive the upgrade."""
    if row is None:
        return None
    name, sep, step = row.step.partition(":")
    if not sep:
        return OpenDialog(Dialog.INTAKE, row.step, dict(row.data))
    return OpenDialog(Dialog(name), step, dict(row.data))


async def save_dialog(turn: Turn, dialog: Dialog, step: str, data: dict[str, Any]) -> None:
    await save_draft(
        session=turn.session,
        channel=turn.inbound.channel,
        user_id=turn.inbound.user_id,
        step=f"{dialog.value}:{step}",
        data=data,
        now=turn.now,
    )


async def clear_dialog(turn: Turn) -> None:
    await delete_draft(
        session=turn.session, channel=turn.inbound.channel, user_id=turn.inbound.user_id
    )
