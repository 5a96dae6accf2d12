"""Two sender processes on one PostgreSQL outbox, one killed mid-send: nothing lost, nothing
sent twice, each chat's messages in order."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.conversation.messages import Outbound
from storage.db import create_engine, create_sessionmaker
from storage.outbox import enqueue
from tests.conftest import T0, _truncate

ROOT = Path(__file__).resolve().parent.parent
ROWS, CHATS = 120, 30


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    asyncio.run(_truncate(postgres_url))
    yield postgres_url


async def _fill(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            for n in range(ROWS):
                await enqueue(
                    session=session,
                    idempotency_key=f"p:{n}",
                    channel="telegram",
                    recipient=str(1000 + n % CHATS),
                    payload=Outbound(f"msg-{n:03d}").to_payload(),
                    now=T0,
                )
    finally:
        await engine.dispose()


def _worker(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox_worker", url, str(log), "--lease", "3", *extra],
        cwd=ROOT,
    )


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_killed_process_loses_and_duplicates_nothing(pg_url: str, tmp_path: Path) -> None:
    """A hangs on a send and is killed; B sends the rest and, after the lease, A's row."""
    asyncio.run(_fill(pg_url))
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    a = _worker(pg_url, log_a, "--concurrency", "1", "--delay", "0.02", "--hang-at", "6")
    b = _worker(pg_url, log_b, "--concurrency", "4", "--delay", "0.05")
    try:
        deadline = time.monotonic() + 60
        while not any(line[0] == "hang" for line in _lines(log_a)):
            assert time.monotonic() < deadline, "worker A never reached its hang"
            assert a.poll() is None, "worker A exited early"
            time.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        assert b.wait(90) == 0
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
    sent_a = [line for line in _lines(log_a) if line[0] == "sent"]
    sent_b = [line for line in _lines(log_b) if line[0] == "sent"]
    [hung] = [line[1] for line in _lines(log_a) if line[0] == "hang"]
    texts = [line[1] for line in sent_a + sent_b]
    assert len(sent_a) == 5, "A sent its first five before hanging"
    assert sorted(texts) == [f"msg-{n:03d}" for n in range(ROWS)], "each exactly once"
    assert hung in [line[1] for line in sent_b], "B took over the killed claim"
    # Per chat, messages went out in the order they were queued, across both processes.
    by_chat: dict[str, list[tuple[float, str]]] = {}
    for _, text, chat, at in sent_a + sent_b:
        by_chat.setdefault(chat, []).append((float(at), text))
    for chat, items in by_chat.items():
        assert [t for _, t in sorted(items)] == sorted(t for _, t in items), chat
