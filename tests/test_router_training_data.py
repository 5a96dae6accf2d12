"""What the router learns from in production: the training-examples query (SQLite and
PostgreSQL), `hotline nlp train --from-db`, and the retrain settings."""

from __future__ import annotations

import asyncio
import os
from datetime import time, timedelta
from pathlib import Path
from typing import cast

import pytest

from bot.app import App, build_app, sync_directory
from bot.cli import main
from bot.config import ConfigError, Settings, load_settings
from bot.retrain import CLOSED_STATES, ModelWatch, retrain_router
from handlers.policy.clock import FixedClock
from nlp.learn.modelfile import read_meta
from nlp.router import Router
from storage.examples import (
    SOURCE_CLOSED,
    SOURCE_DISPATCHER,
    SOURCE_RETURN,
    add_example,
    training_examples,
)
from storage.models import Case, Resident
from tests.conftest import T0
from tests.learn_support import labelled_rows


async def _case(
    app: App, n: int, text: str, unit: str | None, state: str, *, hours_apart: int = 1
) -> int:
    async with app.sessionmaker() as session, session.begin():
        resident = Resident(channel="test", external_id=f"r{n}", created_at=T0)
        session.add(resident)
        await session.flush()
        case = Case(
            number=f"AN-T-{n:05d}", resident_id=resident.id, channel="test",
            request_type="complaint", state=state, unit_name=unit, description=text,
            created_at=T0 + timedelta(hours=n * hours_apart), updated_at=T0,
        )  # fmt: skip
        session.add(case)
        await session.flush()
        return case.id


async def _example(app: App, case_id: int | None, text: str, unit: str, source: str) -> None:
    async with app.sessionmaker() as session, session.begin():
        add_example(session=session, text=text, unit=unit, category=None, subcategory=None,
                    source=source, case_id=case_id, now=T0)  # fmt: skip


async def test_training_examples_take_the_unit_that_was_right(app: App) -> None:
    """Closed cases give their unit; a dispatcher's choice counts; a return gives the unit the
    case went to next, never the unit that returned it; one example per case."""
    closed = await _case(app, 1, "路灯坏了", "区城市管理局", "closed")
    await _example(app, closed, "路灯坏了", "区水务局", SOURCE_DISPATCHER)  # closing unit wins
    corrected = await _case(app, 2, "暖气不热", None, "pending_dispatch")
    await _example(app, corrected, "暖气不热", "区供热管理办公室", SOURCE_DISPATCHER)
    returned = await _case(app, 3, "井盖丢了", "区城市管理局", "dispatched")
    await _example(app, returned, "井盖丢了", "区水务局", SOURCE_RETURN)
    waiting = await _case(app, 4, "油烟太大", None, "pending_dispatch")
    await _example(app, waiting, "油烟太大", "区城市管理局", SOURCE_RETURN)  # no answer yet
    await _case(app, 5, "还在办", "区水务局", "accepted")  # not finished: no evidence yet
    async with app.sessionmaker() as session:
        found = await training_examples(session=session, closed_states=CLOSED_STATES)
    got = [(e.text, e.unit, e.source) for e in found]
    assert got == [
        ("路灯坏了", "区城市管理局", SOURCE_CLOSED),
        ("暖气不热", "区供热管理办公室", SOURCE_DISPATCHER),
        ("井盖丢了", "区城市管理局", SOURCE_RETURN),
    ]


def _fill(url: str, router: Router, rows: list[dict[str, str]]) -> None:
    async def fill() -> None:
        settings = Settings.model_validate({"database": {"url": url}})
        app = await build_app(settings, router=router, prepare=False)
        try:
            await sync_directory(app.sessionmaker, router)
            for i, row in enumerate(rows):
                await _case(app, i, row["text"], row["unit"], "closed")
        finally:
            await app.close()

    asyncio.run(fill())


def test_train_from_db(
    db_url: str,
    router: Router,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`hotline nlp train --from-db` trains on the cases closed by their units."""
    _fill(db_url, router, labelled_rows(60))
    monkeypatch.setenv("HOTLINE_CONFIG", "")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    out = tmp_path / "db.model"
    assert main(["nlp", "train", "--from-db", "--out", str(out)]) == 0, capsys.readouterr()
    meta = read_meta(out)
    assert (meta.source, meta.rows, meta.label_kind) == ("database", 60, "unit")
    assert "trained a unit model on 60 rows from database" in capsys.readouterr().out


async def _nightly(app: App, path: Path) -> Settings:
    """15 days of closed cases (8 a day) and settings that retrain into `path`."""
    for i, row in enumerate(labelled_rows(120)):
        await _case(app, i, row["text"], row["unit"], "closed", hours_apart=3)
    router = app.settings.router.model_copy(
        update={"model": path, "retrain": True, "retrain_min_examples": 50,
                "retrain_recent_weeks": 1}
    )  # fmt: skip
    return app.settings.model_copy(update={"router": router})


async def test_scheduled_retrain_writes_and_swaps_the_model(
    app: App, router: Router, tmp_path: Path
) -> None:
    """The job function trains on the database and, with no model yet, writes one when it is no
    worse than the keywords; the running router then uses it."""
    from nlp.learn.routing import ModelBackedRouter

    path = tmp_path / "nightly.model"
    settings = await _nightly(app, path)
    backed = ModelBackedRouter(router)
    nightly = App(settings, app.engine, app.sessionmaker, backed, app.deps, app.conversation,
                  app.media)  # fmt: skip
    outcome = await retrain_router(nightly, now=T0 + timedelta(days=15))
    assert outcome.rows == 120 and outcome.recent_rows > 0, outcome
    assert outcome.replaced and not outcome.current_is_model, outcome
    assert backed.learned is not None and read_meta(path).rows == 120


async def test_two_instances_retrain_once_and_the_other_loads_the_model(
    app: App, router: Router, clock: FixedClock, tmp_path: Path
) -> None:
    """Two `hotline run` instances (each its own engine) run the nightly job at once: the
    database claim lets exactly one train; the other skips, and its model watch loads the file
    the winner wrote. A second run the same night skips too; a touched file is not reloaded, a
    broken one is refused and the running model kept."""
    from nlp.learn.routing import ModelBackedRouter

    path = tmp_path / "shared.model"
    settings = await _nightly(app, path)
    first = App(settings, app.engine, app.sessionmaker, ModelBackedRouter(router), app.deps,
                app.conversation, app.media)  # fmt: skip
    second = await build_app(settings, clock=clock, router=ModelBackedRouter(router), prepare=False)
    watches = {id(first): ModelWatch(path), id(second): ModelWatch(path)}
    night = T0 + timedelta(days=15)
    try:
        outcomes = await asyncio.gather(
            retrain_router(first, now=night), retrain_router(second, now=night)
        )
        assert sorted(o.claimed for o in outcomes) == [False, True], outcomes
        winner = outcomes[0] if outcomes[0].claimed else outcomes[1]
        assert winner.replaced and winner.rows == 120, winner
        loser_app = second if outcomes[0].claimed else first
        loser = cast(ModelBackedRouter, loser_app.router)
        assert not any(o.replaced for o in outcomes if not o.claimed)
        assert loser.learned is None  # it trained nothing
        watch = watches[id(loser_app)]
        assert await watch.check(loser_app) is True and loser.learned is not None
        assert await watch.check(loser_app) is False  # nothing new

        again = await retrain_router(first, now=night + timedelta(hours=2))
        assert not again.claimed and not again.replaced  # the night is done

        learned = loser.learned
        os.utime(path)  # touched, same content: not loaded again
        assert await watch.check(loser_app) is False and loser.learned is learned
        path.write_bytes(b"not a model")
        assert await watch.check(loser_app) is False and loser.learned is learned
    finally:
        await second.close()


def test_retrain_needs_a_model_path(tmp_path: Path) -> None:
    """`retrain = true` without `model` is refused when the config loads."""
    config = tmp_path / "c.toml"
    config.write_text("[router]\nretrain = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="retrain = true needs model"):
        load_settings(config, env={})


async def test_retrain_job_is_scheduled_only_when_switched_on(app: App, tmp_path: Path) -> None:
    """With `retrain = true` the scheduler has a nightly job at retrain_time; without, none."""
    from bot.scheduler import Jobs, build_outbox_sender, build_sweep

    def job_ids(settings: Settings) -> dict[str, str]:
        wired = App(settings, app.engine, app.sessionmaker, app.router, app.deps,
                    app.conversation, app.media)  # fmt: skip
        jobs = Jobs(wired, sweep=build_sweep(wired), sender=build_outbox_sender(wired))
        jobs.start()
        try:
            return {job.id: str(job.trigger) for job in jobs.scheduler.get_jobs()}
        finally:
            jobs.scheduler.shutdown(wait=False)

    off = job_ids(app.settings)
    assert "retrain" not in off and "model-watch" not in off  # no model: nothing to watch
    scheduler = app.settings.scheduler
    assert off["outbox"] == f"interval[0:00:{scheduler.outbox_interval_seconds:02.0f}]"
    assert off["sweep"].startswith("interval[") and "digest" in off and "bulletin" in off
    router = app.settings.router.model_copy(
        update={"retrain": True, "model": tmp_path / "m", "retrain_time": time(2, 30),
                "model_check_seconds": 30}
    )  # fmt: skip
    on = job_ids(app.settings.model_copy(update={"router": router}))
    assert "hour='2'" in on["retrain"] and "minute='30'" in on["retrain"]
    assert on["model-watch"] == "interval[0:00:30]"


async def test_every_periodic_job_is_scheduled_in_the_district_zone(app: App) -> None:
    """Outbox, sweep, digest, weekly bulletin and hotspots each have one job on its settings'
    clock; only the outbox may overlap itself (its own lock makes the second run a no-op)."""
    from bot.scheduler import Jobs, build_outbox_sender, build_sweep

    jobs = Jobs(app, sweep=build_sweep(app), sender=build_outbox_sender(app))
    jobs.start()
    try:
        found = {job.id: job for job in jobs.scheduler.get_jobs()}
    finally:
        jobs.scheduler.shutdown(wait=False)
    settings = app.settings.scheduler
    assert {"outbox", "sweep", "digest", "bulletin"} <= set(found)
    assert found["outbox"].max_instances == 2 and found["sweep"].max_instances == 1
    assert found["outbox"].trigger.interval.total_seconds() == settings.outbox_interval_seconds
    assert found["sweep"].trigger.interval.total_seconds() == settings.sweep_interval_seconds
    bulletin = str(found["bulletin"].trigger)
    assert f"day_of_week='{settings.bulletin_weekday}'" in bulletin
    assert all(job.coalesce for job in found.values())
    assert str(found["digest"].trigger.timezone) == str(app.deps.zone)
    assert ("hotspots" in found) == app.settings.hotspots.enabled
