"""`hotline web admin-link | link | first-run` and the workbench inside `hotline run`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from storage.staff import list_staff
from storage.webaccounts import account_by_login
from tests.web_helpers import csrf_of, open_browser

HOTLINE = str(Path(sys.executable).with_name("hotline"))
# Each `hotline` process builds the whole app (seconds): the commands' storage is covered on both
# databases by test_web_storage, so these run on SQLite only.
ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _hotline(config: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        *args,
        "--config",
        str(config),
        env={**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _config(tmp_path: Path, db_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return config


@ON_SQLITE
async def test_a_newcomer_sets_a_password_from_the_admin_link_and_logs_in(
    app: App, tmp_path: Path, db_url: str
) -> None:
    """admin-link prints a one-time link; it sets the password of a supervisor who can log in."""
    config = _config(tmp_path, db_url)
    code, out, _ = await _hotline(config, "web", "admin-link")
    assert code == 0
    token = re.search(r"/setup/(\S+)", out)
    assert token, out
    browser = await open_browser(app)
    try:
        page = await browser.client.get(f"/setup/{token[1]}")
        new = {
            "csrf": csrf_of(await page.text()),
            "password": "a long new secret",
            "password2": "a long new secret",
        }
        assert (await browser.client.post(f"/setup/{token[1]}", data=new)).status == 200
        assert (await browser.login("admin", "a long new secret")).status == 303
        status, html = await browser.page("/desk/figures")
        assert status == 200 and "督查员" in html
    finally:
        await browser.client.close()
    code, out, _ = await _hotline(config, "web", "list")
    assert "admin" in out and "supervisor" in out and "password set" in out


@ON_SQLITE
async def test_first_run_prints_a_link_only_on_a_fresh_database(
    app: App, tmp_path: Path, db_url: str
) -> None:
    """`make run`'s first-run step prints the URL and, while nobody can log in, a set-up link."""
    code, out, _ = await _hotline(_config(tmp_path, db_url), "web", "first-run")
    assert code == 0 and "http://127.0.0.1:8080/login" in out and "/setup/" in out


@ON_SQLITE
async def test_link_for_a_chat_staff_member_uses_their_staff_record(
    app: App, tmp_path: Path, db_url: str
) -> None:
    """`web link --staff ID` gives an existing (chat) staff member a login; unknown units fail."""
    from tests.desk import join

    await join(app, "tg-1", "培黎街道")
    async with app.sessionmaker() as session:
        [member] = await list_staff(session=session)
    config = _config(tmp_path, db_url)
    code, out, _ = await _hotline(
        config, "web", "link", "--login", "peili1", "--staff", str(member.id)
    )
    assert code == 0 and "/setup/" in out
    async with app.sessionmaker() as session:
        account = await account_by_login(session=session, login="peili1")
        assert account is not None and account.staff_id == member.id
    code, _, err = await _hotline(
        config, "web", "link", "--login", "x2", "--unit", "无此单位", "--role", "staff"
    )
    assert code == 2 and "unknown unit" in err


async def test_hotline_run_serves_the_workbench(tmp_path: Path) -> None:
    """`hotline run` starts the web server in its loop and prints where to log in."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "hotline.db"}"\n[web]\nport = 0\n',
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        "run",
        "--config",
        str(config),
        env={**os.environ},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = ""
        while "web workbench" not in line:
            line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
            assert line, "hotline run ended without printing the workbench address"
        url = re.search(r"(http://\S+/login)", line)
        assert url, line
        async with aiohttp.ClientSession() as session, session.get(url[1]) as response:
            assert response.status == 200
            assert "登录工作台" in await response.text()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
