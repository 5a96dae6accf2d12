"""Open311 test helpers: the API on its own aiohttp app, an API key, and a client written only
from the GeoReport v2 spec (form-encoded POST, JSON and XML answers)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from defusedxml import ElementTree as SafeET

from bot.app import App
from bot.config import Open311Settings
from bot.web.open311 import Open311Deps, install
from storage.apikeys import create_api_key

BASE = "/open311/v2"


@asynccontextmanager
async def open311_client(
    app: App, settings: Open311Settings | None = None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client for an aiohttp app with only the Open311 routes installed."""
    web_app = web.Application()
    install(web_app, Open311Deps(core=app.deps, settings=settings or Open311Settings()))
    async with TestClient(TestServer(web_app)) as client:
        yield client


async def api_key(app: App, name: str = "city-platform") -> str:
    async with app.sessionmaker() as session, session.begin():
        _, key = await create_api_key(session=session, name=name, now=app.deps.clock.now())
    return key


def xml_root(body: str) -> Any:
    """Parse an answer as an untrusted document would be (defusedxml)."""
    return SafeET.fromstring(body.encode())


def xml_items(body: str) -> list[dict[str, str | None]]:
    """Each child of the root as {field: text} (the Spark convention, one level deep)."""
    return [{child.tag: child.text for child in item} for item in xml_root(body)]


def json_body(text: str) -> Any:
    return json.loads(text)
