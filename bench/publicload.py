"""The load generator of the `public` section, run as its own process so that client work does not
share the server's event loop: `python -m bench.publicload URL MODE COUNT CONCURRENCY [IDS_FILE]`.

Modes: "sessions" (resident web chat sessions, each a whole intake: page, /start, type,
description, skip photos, anonymous, submit) and "gets" (Open311 GETs by id, JSON and XML
alternately). Prints one JSON line: count, seconds, per-request latencies' p50/p99 in ms.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sys
import time
from pathlib import Path

from aiohttp import ClientSession, CookieJar, TCPConnector

TEXT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"
SCRIPT = ({"text": "/start"}, {"choice": "t:complaint"}, {"text": TEXT}, {"choice": "skip"},
          {"choice": "anon"}, {"choice": "submit"})  # fmt: skip
_CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')
_ids = itertools.count()


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _session(base: str, latencies: list[float]) -> None:
    async with ClientSession(base_url=base, cookie_jar=CookieJar(unsafe=True)) as http:
        started = time.perf_counter()
        page = await (await http.get("/chat")).text()
        latencies.append(time.perf_counter() - started)
        match = _CSRF.search(page)
        assert match, page[:200]
        headers = {"X-CSRF-Token": match.group(1)}
        for message in SCRIPT:
            started = time.perf_counter()
            response = await http.post(
                "/chat/send", json={"id": f"b{next(_ids)}", **message}, headers=headers
            )
            body = await response.json()
            latencies.append(time.perf_counter() - started)
            assert response.status == 200, body
        assert "工单号" in body["replies"][-1]["text"], body


async def _get(http: ClientSession, path: str, latencies: list[float]) -> None:
    started = time.perf_counter()
    response = await http.get(path)
    await response.read()
    latencies.append(time.perf_counter() - started)
    assert response.status == 200, path


async def main(base: str, mode: str, count: int, concurrency: int, numbers: list[str]) -> None:
    latencies: list[float] = []
    slots = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    if mode == "sessions":

        async def one(_: int) -> None:
            async with slots:
                await _session(base, latencies)

        await asyncio.gather(*(one(i) for i in range(count)))
    else:
        connector = TCPConnector(limit=concurrency)
        async with ClientSession(base_url=base, connector=connector) as http:

            async def fetch(i: int) -> None:
                fmt = "json" if i % 2 == 0 else "xml"
                path = f"/open311/v2/requests/{numbers[i % len(numbers)]}.{fmt}"
                async with slots:
                    await _get(http, path, latencies)

            await asyncio.gather(*(fetch(i) for i in range(count)))
    seconds = time.perf_counter() - started
    result = {"count": count, "requests": len(latencies), "seconds": seconds}
    result |= {"p50_ms": _pct(latencies, 0.5), "p99_ms": _pct(latencies, 0.99)}
    print(json.dumps(result))


if __name__ == "__main__":
    args = sys.argv[1:]
    ids = Path(args[4]).read_text().split() if len(args) > 4 else []
    asyncio.run(main(args[0], args[1], int(args[2]), int(args[3]), ids))
