"""Claims of periodic jobs (`followup_runs`): one row per job and period, so that of all the
instances and restarts exactly one does a day's digest, a week's bulletin or a night's router
retrain. The primary key (kind, period) decides: the insert is the claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import FollowupRun


async def claim_period(session: AsyncSession, kind: str, period: str, now: datetime) -> bool:
    """Record that `kind` is done (or being done) for `period`; False if it was claimed
    already, by an earlier run or another instance."""
    statement = (
        insert(session, FollowupRun)
        .values(kind=kind, period=period, at=now)
        .on_conflict_do_nothing()
        .returning(FollowupRun.kind)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
