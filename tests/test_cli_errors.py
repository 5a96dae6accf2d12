"""Every configuration and connection error the CLI meets is one line on stderr and a non-zero
exit code (issue 9), checked by running the real `hotline` command as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import free_port

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+asyncpg://postgres@127.0.0.1"


def _hotline(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env={**environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=180,
        check=False,
    )
    return done.returncode, done.stderr.decode()


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "hotline.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


SQLITE = '[database]\nurl = "sqlite+aiosqlite:///var/h.db"\n'


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    [
        (["cases"], {"HOTLINE_DATABASE_URL": "nonsense://x"}, 2, "database driver"),
        (["cases"], {"HOTLINE_DATABASE_URL": "not a url"}, 2, "bad database URL"),
        (["cases"], {"HOTLINE_DATABASE_URL": f"{PG}:1/test"}, 1, "connection failed"),
        (["cases"], {"HOTLINE_DATABASE_URL": f"{PG}:5432/no_such_db_9"}, 2, "unknown PostgreSQL"),
        (["cases"], {"HOTLINE_DATABASE_URL": "postgresql+asyncpg://h.invalid/x"}, 1, "host"),
        (["cases", "--limit", "-5"], {"HOTLINE_DATABASE_URL": f"{PG}:5432/test"}, 2, "at least 1"),
        (["sweep", "--now", "yesterday"], {}, 2, "not an ISO time"),
        (["report", "--from", "2026-11-10", "--to", "2026-11-01"], {}, 2, "--from is after --to"),
        (["hotspots", "--from", "2026-11-10", "--to", "2026-11-01"], {}, 2, "after --to"),
        (
            ["export", "--from", "2026-11-10", "--to", "2026-11-01", "--csv", "x.csv"],
            {},
            2,
            "after",
        ),
    ],
)
def test_database_and_argument_errors_are_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, fragment: str
) -> None:
    """A bad URL, an unreachable or unknown database or a bad argument: one line, non-zero."""
    returncode, stderr = _hotline(tmp_path, *args, env=env)
    assert returncode == code, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert fragment in stderr


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ('[telegram]\nframework = "aiogram"\n', "no token"),
        ('[telegram]\ntoken = ""\n', "empty"),
        ('[telegram]\ntoken = "not-a-token"\n', "malformed"),
        (
            '[telegram]\ntoken = "1:abc"\nmode = "webhook"\nwebhook_url = "https://x/hook"\n',
            "webhook_secret",
        ),
    ],
)
def test_telegram_configuration_errors_are_one_line(
    tmp_path: Path, config: str, fragment: str
) -> None:
    """A [telegram] table without a usable token or secret is refused before anything starts."""
    returncode, stderr = _hotline(tmp_path, "--config", _config(tmp_path, SQLITE + config), "run")
    assert returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert fragment in stderr


def test_telegram_table_switched_off_is_not_an_error(tmp_path: Path) -> None:
    """`enabled = false` keeps a token-less table valid (the console runs, stdin is empty)."""
    path = _config(tmp_path, SQLITE + "[telegram]\nenabled = false\n")
    returncode, stderr = _hotline(tmp_path, "--config", path, "cases")
    assert returncode == 0, stderr


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
def test_unreachable_bot_api_is_one_line(tmp_path: Path, framework: str) -> None:
    """A Bot API nobody answers at: one line and exit 1, no traceback or unclosed session."""
    config = (
        SQLITE
        + f'[telegram]\ntoken = "1:abc"\nframework = "{framework}"\n'
        + f'api_base_url = "http://127.0.0.1:{free_port()}"\n'
    )
    returncode, stderr = _hotline(tmp_path, "--config", _config(tmp_path, config), "run")
    assert returncode == 1, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "cannot reach the Telegram Bot API" in stderr
