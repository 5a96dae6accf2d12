"""Scheduled jobs (APScheduler 3, AsyncIOScheduler): outbox drain, sweep, digest, bulletin,
hotspots (热点), the nightly router retrain when `[router] retrain` is on (claimed in the
database, so one instance trains), and the watch that loads `[router] model` when it changes.

The jobs hold no state of their own: each reads what is due from the database, so a restart or a
second instance neither loses nor repeats anything, and the in-memory job store is enough
(APScheduler's SQLAlchemyJobStore blocks the loop and cannot be shared by processes anyway). The
digest and bulletin jobs only make those two punctual: the sweep sends them too, once their
time has come, if a job was missed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.config import HotspotSettings, OutboxSettings, SchedulerSettings
from bot.outbox.policy import OutboxPolicy
from bot.outbox.sender import OutboxSender
from handlers.followup.hotspots import HotspotPolicy, alert_hotspots
from handlers.followup.periodic import PeriodicSchedule
from handlers.followup.sweep import Sweep
from handlers.policy.lifecycle import CaseState
from storage.duplicates import prune_index

if TYPE_CHECKING:
    from bot.retrain import ModelWatch

log = logging.getLogger(__name__)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def outbox_policy(settings: OutboxSettings) -> OutboxPolicy:
    return OutboxPolicy(
        max_attempts=settings.max_attempts,
        base_backoff=timedelta(seconds=settings.base_backoff_seconds),
        max_backoff=timedelta(seconds=settings.max_backoff_seconds),
        batch_size=settings.batch_size,
        concurrency=settings.concurrency,
        lease=timedelta(seconds=settings.lease_seconds),
    )


def periodic_schedule(settings: SchedulerSettings) -> PeriodicSchedule:
    return PeriodicSchedule(
        digest_time=settings.digest_time,
        bulletin_weekday=_WEEKDAYS.index(settings.bulletin_weekday),
        bulletin_time=settings.bulletin_time,
    )


def hotspot_policy(settings: HotspotSettings) -> HotspotPolicy:
    return HotspotPolicy(
        window=timedelta(hours=settings.window_hours),
        baseline_weeks=settings.baseline_weeks,
        min_count=settings.min_count,
        ratio=settings.ratio,
        cooldown=timedelta(hours=settings.cooldown_hours),
        top_terms=settings.top_terms,
    )


# Cases whose duplicate-index rows are no longer candidates once old enough.
_DONE_STATES = (CaseState.CLOSED.value, CaseState.CANCELLED.value, CaseState.MERGED.value)


async def run_hotspots(app: App) -> int:
    """One hotspot pass: alert new spikes once, then prune index rows no longer needed (older
    than the hotspot history and the duplicate look-back). Returns the alerts sent."""
    settings = app.settings.hotspots
    policy = hotspot_policy(settings)
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        alerted = await alert_hotspots(session, app.deps, policy, now)
    keep = max(
        timedelta(weeks=settings.baseline_weeks) + policy.window,
        timedelta(days=app.settings.duplicates.closed_days),
    )
    async with app.sessionmaker() as session, session.begin():
        await prune_index(session=session, done_states=_DONE_STATES, before=now - keep * 2)
    return len(alerted)


def build_sweep(app: App) -> Sweep:
    scheduler = app.settings.scheduler
    return Sweep(app.deps, periodic_schedule(scheduler), batch_size=scheduler.sweep_batch_size)


def build_outbox_sender(app: App) -> OutboxSender:
    return OutboxSender(
        sessionmaker=app.sessionmaker,
        senders=app.senders,
        clock=app.deps.clock,
        policy=outbox_policy(app.settings.outbox),
    )


class Jobs:
    """The process's scheduler and its jobs."""

    def __init__(self, app: App, *, sweep: Sweep, sender: OutboxSender) -> None:
        self.app = app
        self.sweep = sweep
        self.sender = sender
        self.scheduler = AsyncIOScheduler(timezone=app.deps.zone)
        self.model_watch: ModelWatch | None = None

    def start(self) -> None:
        """Add the jobs and start; call inside the running event loop."""
        settings = self.app.settings.scheduler
        schedule = periodic_schedule(settings)
        # Two instances allowed so a long drain never earns APScheduler's "skipped" warning each
        # second; the sender's own lock turns the overlapping one into a no-op.
        outbox_every = settings.outbox_interval_seconds
        self._add("outbox", self.sender.drain, "interval", overlap=2, seconds=outbox_every)
        self._add("sweep", self.sweep.run, "interval", seconds=settings.sweep_interval_seconds)
        self._add("digest", self._digest, "cron", **_at(schedule.digest_time))
        weekday = settings.bulletin_weekday
        self._add(
            "bulletin", self._bulletin, "cron", day_of_week=weekday, **_at(schedule.bulletin_time)
        )
        router = self.app.settings.router
        if router.model is not None:
            from bot.retrain import ModelWatch

            self.model_watch = ModelWatch(router.model)
            check_every = router.model_check_seconds
            self._add("model-watch", self._check_model, "interval", seconds=check_every)
        if router.retrain:
            self._add("retrain", self._retrain, "cron", **_at(router.retrain_time))
        hotspots = self.app.settings.hotspots
        if hotspots.enabled:
            self._add("hotspots", self._hotspots, "interval", minutes=hotspots.interval_minutes)
        self.scheduler.start()
        log.info("scheduler started: %s", ", ".join(job.id for job in self.scheduler.get_jobs()))

    def _add(
        self,
        name: str,
        job: Callable[[], Awaitable[object]],
        trigger: str,
        *,
        overlap: int = 1,
        **when: Any,
    ) -> None:
        """One job under its name; a run missed while the loop was busy is run once, not twice."""
        guarded = self._guard(name, job)
        self.scheduler.add_job(
            guarded, trigger, id=name, max_instances=overlap, coalesce=True, **when
        )

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _hotspots(self) -> object:
        return await run_hotspots(self.app)

    async def _digest(self) -> object:
        now = self.app.deps.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            return await self.sweep.periodic.send_digest(session, now)

    async def _bulletin(self) -> object:
        now = self.app.deps.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            return await self.sweep.periodic.send_bulletin(session, now)

    async def _retrain(self) -> object:
        from bot.retrain import retrain_router

        outcome = await retrain_router(self.app)
        if outcome.replaced and self.model_watch is not None:
            self.model_watch.note_current()  # its own file: nothing to load again
        return outcome

    async def _check_model(self) -> object:
        assert self.model_watch is not None
        return await self.model_watch.check(self.app)

    @staticmethod
    def _guard(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await job()
            except Exception:
                # The next run tries again from what the database says; nothing is lost.
                log.exception("scheduled job %s failed", name)

        run.__name__ = f"hotline_{name}"
        return run


def _at(moment: time) -> dict[str, Any]:
    """A daily cron trigger's fields for a wall-clock time (in the scheduler's time zone)."""
    return {"hour": moment.hour, "minute": moment.minute}
