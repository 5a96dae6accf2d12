"""`hotline run` as an operator starts it: a real process serving Telegram on either framework."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI

HOTLINE = str(Path(sys.executable).with_name("hotline"))


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_run_serves_telegram_and_stops_on_sigterm(tmp_path: Path, framework: str) -> None:
    """With a token set, `hotline run` answers Telegram users and exits cleanly on SIGTERM."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "hotline.db"}"\n', encoding="utf-8"
    )
    async with FakeTelegramAPI() as api:
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'[telegram]\nframework = "{framework}"\napi_base_url = "{api.base_url}"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "HOTLINE_CONFIG": str(config), "HOTLINE_TELEGRAM_TOKEN": api.token}
        process = await asyncio.create_subprocess_exec(
            HOTLINE,
            "run",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            api.send_text(4242, "/start")
            [reply, *_] = await api.wait_for(
                "sendMessage", lambda c: c.chat_id == "4242", within=30
            )
            assert "热线" in (reply.text or "")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
