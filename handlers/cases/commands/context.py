"""What a case command runs with: the caller's transaction, the core's collaborators, the time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import events, notify
from handlers.cases.actor import Actor
from handlers.cases.events import Entry
from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from handlers.texts import Texts
from storage.models import Case, CaseEvent


class Step(NamedTuple):
    """One step in a case's timeline: who did it, what, and what it said (in words) and carried."""

    actor: Actor
    action: str
    note: str | None = None
    data: dict[str, Any] | None = None

    def entry(self) -> Entry:
        return Entry(self.actor.event_actor, self.action, self.note, self.data)


@dataclass(frozen=True, slots=True)
class CommandContext:
    """One transaction's worth of case work. The caller opens and commits the session: a
    command writes the case, its events and its outbox rows together or not at all."""

    session: AsyncSession
    deps: CoreDeps
    now: datetime

    @property
    def t(self) -> Texts:
        return self.deps.texts

    def local(self, moment: datetime | None) -> str:
        if moment is None:
            return self.t("card.none")
        return moment.astimezone(self.deps.zone).strftime("%Y-%m-%d %H:%M")

    # -- writes, in this context's transaction ----------------------------------------------

    async def move(self, case: Case, to_state: str, step: Step) -> CaseEvent:
        """A transition (state, version + 1, one event), flushed so the event has its id."""
        event = events.change_state(self.session, case, to_state, self.now, step.entry())
        await self.session.flush()
        return event

    async def record(self, case: Case, step: Step) -> CaseEvent:
        """An event that leaves the state alone (a reply, added information), flushed."""
        event = self.log(case, step)
        await self.session.flush()
        return event

    def log(self, case: Case, step: Step) -> CaseEvent:
        """An event that leaves the state alone, written with the transaction's next flush."""
        return events.note(self.session, case, self.now, step.entry())

    async def tell(
        self,
        *,
        kind: str,
        case: Case,
        stamp: str,
        recipients: Iterable[notify.Recipient],
        message: Outbound,
    ) -> int:
        """Queue `message` once per recipient, in this transaction (the one notification API)."""
        return await notify.tell(
            session=self.session,
            kind=kind,
            case_id=case.id,
            stamp=stamp,
            recipients=recipients,
            message=message,
            now=self.now,
        )

    async def tell_resident(self, case: Case, stamp: str, message: Outbound) -> int:
        """A step of the case told to the resident who filed it (if they can be reached)."""
        recipients = await notify.resident_of(self.session, case)
        return await self.tell(
            kind=notify.RESIDENT_STEP,
            case=case,
            stamp=stamp,
            recipients=recipients,
            message=message,
        )
