"""The public web side (issue 12): 500 resident web-chat sessions and 10,000 Open311 GETs.

The server is the real aiohttp app with `install_public` (Open311 and the resident chat) on
PostgreSQL and on SQLite; the load comes from a separate process (bench.publicload) over
localhost HTTP, so client and server do not share an event loop (they do share the 2 cores).
The case list for the GETs is filed first through Open311 POST, which is timed too.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, web

from bench.common import fresh_database
from bot.app import build_app
from bot.config import Settings
from bot.web.public import install_public
from nlp.router import Router
from storage.apikeys import create_api_key

TEXT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


async def _load(url: str, mode: str, count: int, concurrency: int, ids: Path | None) -> dict:
    command = [sys.executable, "-m", "bench.publicload", url, mode, str(count), str(concurrency)]
    if ids is not None:
        command.append(str(ids))
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({mode})")
    return json.loads(out.decode().strip().splitlines()[-1])


async def _post_cases(url: str, key: str, n: int) -> tuple[list[str], float]:
    numbers: list[str] = []
    started = time.perf_counter()
    async with ClientSession(base_url=url) as http:
        for i in range(n):
            response = await http.post(
                "/open311/v2/requests.json",
                data={"api_key": key, "address_string": "建宁路", "description": f"{TEXT}（{i}）"},
            )
            body = await response.json()
            assert response.status == 200, body
            numbers.append(body[0]["service_request_id"])
    return numbers, time.perf_counter() - started


async def _one(kind: str, router: Router, quick: bool) -> None:
    sessions, gets, posts = (50, 1000, 100) if quick else (500, 10_000, 500)
    async with fresh_database(kind, "hotline_bench_public") as db_url:
        settings = Settings.model_validate(
            {
                "database": {"url": db_url},
                "media": {"dir": tempfile.mkdtemp(prefix="bench-media-")},
                # All load comes from 127.0.0.1: lift the per-address and per-key limits.
                "open311": {
                    "requests_per_address_per_minute": 1_000_000,
                    "posts_per_key_per_minute": 1_000_000,
                },
                "resident_web": {
                    "secret": "bench-secret-0123456789abcdef",
                    "requests_per_address_per_minute": 1_000_000,
                },
            }
        )
        app = await build_app(settings, router=router)
        web_app = web.Application()
        install_public(web_app, app)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}"
        try:
            async with app.sessionmaker() as session, session.begin():
                _, key = await create_api_key(
                    session=session, name="bench", now=app.deps.clock.now()
                )
            numbers, post_seconds = await _post_cases(url, key, posts)
            print(f"   {kind}: Open311 POST, one client: {posts / post_seconds:.0f} requests/s")
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as ids:
                ids.write("\n".join(numbers))
            result = await _load(url, "gets", gets, 16, Path(ids.name))
            print(
                f"   {kind}: {gets:,} Open311 GETs by id (JSON/XML alternating, 16 at once): "
                f"{result['requests'] / result['seconds']:.0f} requests/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
            )
            result = await _load(url, "sessions", sessions, 50, None)
            print(
                f"   {kind}: {sessions} resident web sessions (whole intake, 7 requests each, "
                f"50 at once): {result['count'] / result['seconds']:.1f} sessions/s = "
                f"{result['requests'] / result['seconds']:.0f} requests/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
            )
        finally:
            await runner.cleanup()
            await app.close()


async def _main(quick: bool) -> None:
    router = Router.load(None)
    for kind in ("postgres", "sqlite"):
        await _one(kind, router, quick)


def run(quick: bool) -> None:
    asyncio.run(_main(quick))
