"""The bridge's side of durable replies (issue 9; the rows themselves are storage.replies).

After a turn, the bridge tells the database which journaled replies it delivered (`settle`), or
hands what it could not deliver to the outbox (`spool`). Both are short transactions of their
own, retried once on a fresh connection like the conversation is; if the database is gone too,
the reply is logged as lost here, and a journaled one is still sent by the outbox after its lease.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.conversation.messages import Inbound, Outbound
from handlers.policy.clock import Clock
from storage.replies import ReplyJournal, renew_replies, settle_replies, spool_replies

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplySpool:
    sessionmaker: async_sessionmaker[AsyncSession]
    journal: ReplyJournal
    clock: Clock

    def journaled(self, inbound: Inbound, replies: Sequence[Outbound]) -> bool:
        """The core wrote these replies to the outbox with the turn (same rule as the core)."""
        return self.journal.covers(
            inbound.channel, inbound.message_id, [reply.text for reply in replies]
        )

    async def settle(self, inbound: Inbound, indexes: Sequence[int]) -> None:
        """Mark the journaled replies at these positions of the turn as sent."""
        if not await self._write(inbound, settle_replies, indexes=indexes):
            log.error(
                "replies to %s/%s sent but not settled: the outbox will send them again",
                inbound.channel,
                inbound.message_id,
            )

    async def renew(self, inbound: Inbound, indexes: Sequence[int]) -> None:
        """Keep the lease on the turn's journaled replies at these positions (still unsent)."""
        if not await self._write(inbound, renew_replies, indexes=indexes, lease=self.journal.lease):
            log.warning(
                "could not renew the lease of replies to %s/%s: the outbox may send them too",
                inbound.channel,
                inbound.message_id,
            )

    async def spool(
        self, inbound: Inbound, chat_id: str, items: Sequence[tuple[int, Outbound]], error: str
    ) -> bool:
        """Put unsent replies (index, reply) in the outbox; False if the database refused."""
        if inbound.message_id is None or not items:
            return False
        payloads = [(index, reply.to_payload()) for index, reply in items]
        if await self._write(
            inbound, spool_replies, recipient=chat_id, payloads=payloads, error=error
        ):
            log.warning(
                "%d repl(ies) to %s/%s handed to the outbox: %s",
                len(items),
                inbound.channel,
                chat_id,
                error,
            )
            return True
        log.error("replies to %s/%s lost: the database refused them", inbound.channel, chat_id)
        return False

    async def _write(
        self, inbound: Inbound, write: Callable[..., Awaitable[object]], **values: Any
    ) -> bool:
        """Run one of storage.replies' writers for this turn in a transaction of its own."""
        assert inbound.message_id is not None

        async def work(session: AsyncSession) -> None:
            await write(
                session=session,
                channel=inbound.channel,
                message_id=inbound.message_id,
                now=self.clock.now(),
                **values,
            )

        return await self._run(work)

    async def _run(self, work: Callable[[AsyncSession], Awaitable[None]]) -> bool:
        for attempt in (1, 2):
            try:
                async with self.sessionmaker() as session, session.begin():
                    await work(session)
                return True
            except DBAPIError as exc:
                # A pooled connection the server dropped: once more on a fresh one.
                if exc.connection_invalidated and attempt == 1:
                    continue
                log.exception("reply spool: database error")
            except SQLAlchemyError:
                log.exception("reply spool: database error")
            return False
        return False
