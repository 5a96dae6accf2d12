"""Real `hotline run` processes against the stand-in Bot API, and residents who use them.

The fault suite and `make bench` start the bot as an operator would (a subprocess with a config
file), drive it the way residents do (text, then the buttons it offers), and break things from
outside: kill -9, a Bot API outage, PostgreSQL connections cut with pg_terminate_backend.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text

from storage.db import create_engine, create_sessionmaker
from storage.models import Case, OutboxMessage, Resident
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
RECEIPT = "已受理，工单号："
# A clear matter with a known road: the router places it without asking a category.
# Clear matters on known roads, different for neighbouring residents: identical reports would be
# merged as duplicates (并单, issue 13) and answered with the merged receipt instead.
DESCRIPTIONS = (
    "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险",
    "枣林路上的井盖丢了好几天了，晚上路过很危险",
    "桃林路边的垃圾堆了一个星期没人清运，臭气熏天",
    "银滩路社区的暖气一点都不热，家里才十几度，老人冻得受不了",
    "福兴路的下水道堵了，污水漫到路面上",
    "安宁西路有人在人行道上摆摊占道经营，行人走不过去",
    "北滨河西路的路面塌了一个大坑，车辆经过很危险",
    "万新路工地晚上十二点还在施工，噪音太大睡不着",
)
# Any answer that carries the resident's case number: the receipt, the merged receipt, and the
# answer to a repeated 提交.
NUMBER = re.compile(r"AN\d{8}-\d{4}")
NUMBER_ANSWERS = (RECEIPT, "诉求编号", "已经提交，工单号")


# The core's apology when the database fails twice: it asks the person to send again.
APOLOGY_START = "抱歉，系统暂时出了点问题"


def description_for(user_id: int) -> str:
    return DESCRIPTIONS[user_id % len(DESCRIPTIONS)]


# The buttons a resident presses to get through intake, in order of preference.
_PRESSES = ("t:complaint", "i:skip", "i:done", "i:anon", "i:submit")


def config_text(
    *,
    api: FakeTelegramAPI,
    db_url: str,
    backend: str = "memory",
    lease: float = 5.0,
    log_level: str = "WARNING",
    framework: str = "aiogram",
) -> str:
    return f"""
log_level = "{log_level}"
[database]
url = "{db_url}"
pool_size = 4
[telegram]
framework = "{framework}"
token = "{api.token}"
api_base_url = "{api.base_url}"
rate_limit_backend = "{backend}"
reply_retry_seconds = 2.0
reply_lease_seconds = {lease}
[outbox]
lease_seconds = {lease}
base_backoff_seconds = 0.5
max_backoff_seconds = 2.0
max_attempts = 100
[scheduler]
outbox_interval_seconds = 0.3
"""


@dataclass
class HotlineProcess:
    """One `hotline run` instance; its stderr goes to a file kept for the test's report."""

    config: Path
    log: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "--config",
                str(self.config),
                "run",
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, "PYTHONPATH": str(ROOT), "HOTLINE_CONFIG": ""},
            )

    async def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def terminate(self, within: float = 60) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), within)


@dataclass
class Caller:
    """A person filing one complaint: types it, presses what is offered, reads the receipt."""

    api: FakeTelegramAPI
    user_id: int
    seen: int = 0
    number: str | None = None
    steps: list[float] = field(default_factory=list)  # seconds from each update to its answer
    # A person who sees no answer for this long does what they did again (types the text again,
    # presses the button again), as people do; None: waits for ever.
    patience: float | None = None
    repeats: int = 0
    _last: str | None = None

    def _act(self, press: str | None) -> None:
        self._last = press
        if press is None:
            self.api.send_text(self.user_id, description_for(self.user_id))
        else:
            self.api.press_button(self.user_id, press)

    async def file(self, *, within: float) -> str:
        deadline = time.monotonic() + within
        sent_at = time.monotonic()
        self._act(None)
        while self.number is None:
            new = await self._new_messages(deadline)
            self.steps.append(time.monotonic() - sent_at)
            for message in new:
                text = message.text or ""
                found = NUMBER.search(text)
                if found and any(answer in text for answer in NUMBER_ANSWERS):
                    self.number = found.group(0)
            if self.number is not None:
                break
            offered = [data for m in new for row in m.buttons for _, data in row]
            press = next((p for p in _PRESSES if p in offered), None)
            if press is not None:
                sent_at = time.monotonic()
                self._act(press)
            elif any(APOLOGY_START in (m.text or "") for m in new):
                # "请稍后再发一次": a person does what they did again, once told to.
                self.repeats += 1
                sent_at = time.monotonic()
                self._act(self._last)
        return self.number

    async def _new_messages(self, deadline: float) -> list[object]:
        # Answers come in bursts (a confirmation, then the next question): wait for the burst.
        waited_since = time.monotonic()
        repeated = False
        while True:
            mine = self.api.sent(chat_id=self.user_id)
            if len(mine) > self.seen:
                await asyncio.sleep(0.3)
                mine = self.api.sent(chat_id=self.user_id)
                new, self.seen = mine[self.seen :], len(mine)
                return list(new)
            now = time.monotonic()
            if now > deadline:
                shown = [
                    (m.text or "")[:30]
                    for m in self.api.calls_to("sendMessage", chat_id=self.user_id)
                ]
                raise AssertionError(
                    f"resident {self.user_id}: no answer in time; {self.repeats} repeats, "
                    f"last action {self._last!r}; calls to the chat: {shown}"
                )
            if self.patience is not None and now - waited_since > self.patience and not repeated:
                # Once per step: a person who tried again waits for that answer.
                self.repeats += 1
                repeated = True
                self._act(self._last)
            await asyncio.sleep(0.05)


async def cases_per_resident(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Resident.external_id, func.count(Case.id))
                .join(Case, Case.resident_id == Resident.id)
                .group_by(Resident.external_id)
            )
            return {user: int(n) for user, n in rows.all()}
    finally:
        await engine.dispose()


async def open_outbox(url: str) -> int:
    """Rows not yet settled (pending or held): zero once everything has been delivered."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            statement = (
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(["pending", "held"]))
            )
            return int((await session.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


async def cut_connections(url: str) -> int:
    """pg_terminate_backend on every other connection to this database; how many were cut."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            cut = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return int(cut.scalar_one())
    finally:
        await engine.dispose()
