"""Shared fixtures: databases (SQLite and PostgreSQL), the router, a fixed clock, the app.

PostgreSQL: each test worker gets its own database (created from the server's `test`
database) so parallel runs and several developers on one server never collide. Without a
server the PostgreSQL cases are skipped, unless HOTLINE_REQUIRE_POSTGRES=1 (set by .ci/run),
which turns that into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import Settings
from handlers.policy.clock import FixedClock
from nlp.kb import KnowledgeBase
from nlp.router import Router
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.support import running_app

if TYPE_CHECKING:
    from tests.web_helpers import Browser

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# 2026-11-25 10:00 in Lanzhou (UTC+8): a Wednesday, a working day.
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _pg_admin_url() -> str:
    return os.environ.get("HOTLINE_TEST_POSTGRES_URL", DEFAULT_PG_URL)


async def _pg_create(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _pg_drop(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def router() -> Router:
    """The default (Anning) router, loaded once: jieba's dictionary is slow to load."""
    return Router.load(None)


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    """The shipped (Anning) knowledge base, loaded once."""
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test worker's own."""
    admin = _pg_admin_url()
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"hotline_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_pg_create(admin, name))
    except Exception as exc:
        if os.environ.get("HOTLINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable at {admin}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {admin}: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_pg_drop(admin, name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "hotline.db"
        shutil.copy(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    yield url


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {"database": {"url": db_url}, "media": {"dir": str(tmp_path / "media")}}
    )


@pytest.fixture
async def app(settings: Settings, router: Router, clock: FixedClock) -> AsyncIterator[App]:
    """The whole core wired to a fresh database, with the units of the default directory."""
    async with running_app(settings, router, clock) as built:
        yield built


@pytest.fixture
async def browser(app: App) -> AsyncIterator[Browser]:
    """A signed-out HTTP client of the web workbench (tests/web_helpers.py), closed after."""
    from tests.web_helpers import browsing

    async with browsing(app) as opened:
        yield opened
