"""What a case command runs with: the caller's transaction, the core's collaborators, the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreDeps
from handlers.texts import Texts


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
