"""Reads and writes of the hotspot job (热点, issue 13): filings per cell from the duplicate
index, the alert rows that make an alert happen once, and the texts behind them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import Case, DuplicateKey, HotspotAlert


@dataclass(frozen=True, slots=True)
class Filing:
    case_id: int
    subcategory: str
    place_key: str
    created_at: datetime


async def filings_since(*, session: AsyncSession, since: datetime, until: datetime) -> list[Filing]:
    """Every filing's cells (sub-category × place key, coordinates cells left out) in
    [since, until), read through `ix_duplicate_keys_recent`."""
    statement = select(
        DuplicateKey.case_id,
        DuplicateKey.subcategory,
        DuplicateKey.place_key,
        DuplicateKey.created_at,
    ).where(
        DuplicateKey.created_at >= since,
        DuplicateKey.created_at < until,
        DuplicateKey.place_key.not_like("geo:%"),
    )
    return [Filing(*row) for row in (await session.execute(statement)).all()]


async def recently_alerted(
    *, session: AsyncSession, subcategory: str, place_key: str, since: datetime
) -> bool:
    statement = (
        select(HotspotAlert.id)
        .where(
            HotspotAlert.subcategory == subcategory,
            HotspotAlert.place_key == place_key,
            HotspotAlert.at >= since,
        )
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def claim_alert(
    *,
    session: AsyncSession,
    subcategory: str,
    place_key: str,
    period: str,
    at: datetime,
    count: int,
    baseline: float,
    case_ids: Sequence[int],
    terms: Sequence[str],
) -> int | None:
    """Insert the alert row; its id, or None when this cell's period was claimed already (by
    an earlier run or another instance: the unique key decides)."""
    values: dict[str, Any] = {
        "subcategory": subcategory,
        "place_key": place_key,
        "period": period,
        "at": at,
        "count": count,
        "baseline": baseline,
        "case_ids": list(case_ids),
        "terms": list(terms),
    }
    statement = (
        insert(session, HotspotAlert)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(HotspotAlert.id)
    )
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def alerts_between(
    *, session: AsyncSession, since: datetime, until: datetime
) -> Sequence[HotspotAlert]:
    statement = (
        select(HotspotAlert)
        .where(HotspotAlert.at >= since, HotspotAlert.at < until)
        .order_by(HotspotAlert.at, HotspotAlert.id)
    )
    return (await session.execute(statement)).scalars().all()


async def case_texts(
    *, session: AsyncSession, case_ids: Collection[int]
) -> list[tuple[int, str, str]]:
    """(id, number, description) of the given cases, oldest first."""
    if not case_ids:
        return []
    statement = (
        select(Case.id, Case.number, Case.description)
        .where(Case.id.in_(sorted(set(case_ids))))
        .order_by(Case.id)
    )
    return [(i, n, d) for i, n, d in (await session.execute(statement)).all()]


async def texts_filed_between(
    *, session: AsyncSession, since: datetime, until: datetime, limit: int = 5000
) -> list[str]:
    """Descriptions of cases filed in [since, until), newest first (the week's words)."""
    statement = (
        select(Case.description)
        .where(Case.created_at >= since, Case.created_at < until)
        .order_by(Case.created_at.desc())
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())
