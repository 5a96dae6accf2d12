"""Hotspots (热点, issue 13): a burst of filings in one cell (sub-category × subdistrict, or ×
road / community / village when named) against that cell's own history.

A cell spikes when its count in the last `window` is at least `min_count` and at least `ratio`
times its usual count for such a window (its average over the previous `baseline_weeks`).
A spike alerts the supervisors and the unit the catalogue gives the matter, once: the alert
row's unique (cell, period) key is the claim, and a cell alerted within `cooldown` stays quiet,
so neither a second run nor a second instance repeats it. A finer cell whose cases all belong to
a spiking coarser cell is the same burst and is not alerted on its own.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import notify
from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from nlp.duplicates import top_terms
from storage.hotspots import (
    alerts_between,
    case_texts,
    claim_alert,
    filings_since,
    recently_alerted,
    texts_filed_between,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HotspotPolicy:
    """From `[hotspots]` in the config."""

    window: timedelta = timedelta(hours=6)
    baseline_weeks: int = 4
    min_count: int = 4
    ratio: float = 3.0
    cooldown: timedelta = timedelta(hours=24)
    top_terms: int = 8


@dataclass(slots=True)
class Hotspot:
    """One spiking cell: what, where, how many against how many usually, which cases, words."""

    subcategory: str
    place_key: str
    count: int
    baseline: float
    case_ids: list[int]
    numbers: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    alert_id: int | None = None

    @property
    def place(self) -> str:
        return self.place_key.split(":", 1)[1]

    @property
    def subdistrict_level(self) -> bool:
        return self.place_key.startswith("sd:")

    def to_json(self) -> dict[str, object]:
        return {
            "subcategory": self.subcategory,
            "place": self.place,
            "place_key": self.place_key,
            "count": self.count,
            "baseline": round(self.baseline, 2),
            "cases": self.numbers,
            "terms": self.terms,
            "alerted": self.alert_id is not None,
        }


async def find_hotspots(
    session: AsyncSession, deps: CoreDeps, policy: HotspotPolicy, now: datetime
) -> list[Hotspot]:
    """The cells spiking at `now` (read only), with their cases and common words."""
    history = timedelta(weeks=policy.baseline_weeks)
    window_start = now - policy.window
    filings = await filings_since(session=session, since=window_start - history, until=now)
    recent: dict[tuple[str, str], list[int]] = defaultdict(list)
    before: dict[tuple[str, str], int] = defaultdict(int)
    for filing in filings:
        cell = (filing.subcategory, filing.place_key)
        if filing.created_at >= window_start:
            recent[cell].append(filing.case_id)
        else:
            before[cell] += 1
    windows_in_history = history / policy.window
    spikes: list[Hotspot] = []
    for (subcategory, place_key), case_ids in recent.items():
        usual = before[(subcategory, place_key)] / windows_in_history
        count = len(set(case_ids))
        if count >= policy.min_count and count >= policy.ratio * usual:
            spikes.append(Hotspot(subcategory, place_key, count, usual, sorted(set(case_ids))))
    spikes = _one_per_burst(spikes)
    for spot in spikes:
        rows = await case_texts(session=session, case_ids=spot.case_ids)
        spot.numbers = [number for _, number, _ in rows]
        if deps.duplicates is not None:
            spot.terms = top_terms(
                (text for _, _, text in rows), deps.duplicates, n=policy.top_terms
            )
    spikes.sort(key=lambda s: (-s.count, s.subcategory, s.place_key))
    return spikes


def _one_per_burst(spikes: list[Hotspot]) -> list[Hotspot]:
    """Drop a cell whose cases all lie in another spiking cell of the same matter (a road's
    burst inside its subdistrict's): one burst, one alert, on the widest cell."""
    kept: list[Hotspot] = []

    def rank(spot: Hotspot) -> tuple[bool, str]:
        return (not spot.subdistrict_level, spot.place_key)

    for spot in spikes:
        cases = set(spot.case_ids)
        inside = any(
            other is not spot
            and other.subcategory == spot.subcategory
            and cases <= set(other.case_ids)
            and (len(other.case_ids) > len(cases) or rank(other) < rank(spot))
            for other in spikes
        )
        if not inside:
            kept.append(spot)
    return kept


def _subdistrict_of(deps: CoreDeps, spot: Hotspot) -> str | None:
    if spot.subdistrict_level:
        return spot.place
    return deps.router.resolve_subdistrict(spot.place)


async def alert_hotspots(
    session: AsyncSession, deps: CoreDeps, policy: HotspotPolicy, now: datetime
) -> list[Hotspot]:
    """Find the spikes at `now` and alert each new one once; returns those alerted now."""
    alerted: list[Hotspot] = []
    period = str(int(now.timestamp() // policy.cooldown.total_seconds()))
    for spot in await find_hotspots(session, deps, policy, now):
        if await recently_alerted(
            session=session,
            subcategory=spot.subcategory,
            place_key=spot.place_key,
            since=now - policy.cooldown,
        ):
            continue
        spot.alert_id = await claim_alert(
            session=session,
            subcategory=spot.subcategory,
            place_key=spot.place_key,
            period=period,
            at=now,
            count=spot.count,
            baseline=spot.baseline,
            case_ids=spot.case_ids,
            terms=spot.terms,
        )
        if spot.alert_id is None:
            continue
        recipients = await notify.supervisors(session)
        unit = deps.router.unit_for_subcategory(spot.subcategory, _subdistrict_of(deps, spot))
        if unit is not None:
            recipients += await notify.unit_heads(session, unit)
        await notify.tell(
            session=session,
            kind="hot",
            case_id=None,
            stamp=str(spot.alert_id),
            recipients=recipients,
            message=Outbound(alert_text(deps, policy, spot)),
            now=now,
        )
        log.info("hotspot %s at %s: %d filings", spot.subcategory, spot.place_key, spot.count)
        alerted.append(spot)
    return alerted


def alert_text(deps: CoreDeps, policy: HotspotPolicy, spot: Hotspot) -> str:
    return deps.texts(
        "hot.alert",
        place=spot.place,
        category=spot.subcategory,
        hours=f"{policy.window.total_seconds() / 3600:g}",
        count=spot.count,
        baseline=f"{spot.baseline:.1f}",
        terms="、".join(spot.terms) or "-",
        numbers="、".join(spot.numbers[:20]),
    )


async def hotspot_lines(
    session: AsyncSession, deps: CoreDeps, *, since: datetime, until: datetime
) -> list[str]:
    """The alerts of [since, until) as lines for the daily digest."""
    lines = []
    for alert in await alerts_between(session=session, since=since, until=until):
        lines.append(
            deps.texts(
                "hot.line",
                place=alert.place_key.split(":", 1)[1],
                category=alert.subcategory,
                count=alert.count,
                baseline=f"{alert.baseline:.1f}",
                terms="、".join(str(t) for t in alert.terms) or "-",
            )
        )
    return [deps.texts("hot.digest"), *lines] if lines else []


@dataclass(frozen=True, slots=True)
class AlertedSpot:
    """A 热点 alert of the period, with its cases' numbers (for links)."""

    at: datetime
    subcategory: str
    place: str
    count: int
    baseline: float
    terms: list[str]
    numbers: list[str]


@dataclass(frozen=True, slots=True)
class PeriodHotspots:
    """What `hotline hotspots` and the figures page show for [start, end)."""

    alerts: list[AlertedSpot]
    spiking: list[Hotspot]  # the spikes the job would see at the period's end (or now)
    terms: list[str]  # the commonest words of the last week of the period


async def period_hotspots(
    session: AsyncSession,
    deps: CoreDeps,
    policy: HotspotPolicy,
    *,
    start: datetime,
    end: datetime,
    spikes_at: datetime,
    terms_since: datetime,
) -> PeriodHotspots:
    """The period's alerts (with their cases' numbers), the spikes at `spikes_at`, and the
    words of what was filed in [terms_since, end)."""
    alerts = []
    for alert in await alerts_between(session=session, since=start, until=end):
        rows = await case_texts(session=session, case_ids=[int(i) for i in alert.case_ids])
        alerts.append(
            AlertedSpot(
                at=alert.at,
                subcategory=alert.subcategory,
                place=alert.place_key.split(":", 1)[1],
                count=alert.count,
                baseline=alert.baseline,
                terms=[str(t) for t in alert.terms],
                numbers=[number for _, number, _ in rows],
            )
        )
    return PeriodHotspots(
        alerts=alerts,
        spiking=await find_hotspots(session, deps, policy, spikes_at),
        terms=await week_terms(session, deps, since=terms_since, until=end, n=policy.top_terms),
    )


async def week_terms(
    session: AsyncSession, deps: CoreDeps, *, since: datetime, until: datetime, n: int = 8
) -> list[str]:
    """The commonest matter words of everything filed in [since, until) (the 通报's 热词)."""
    if deps.duplicates is None:
        return []
    texts = await texts_filed_between(session=session, since=since, until=until)
    return top_terms(texts, deps.duplicates, n=n)
