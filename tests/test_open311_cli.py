"""`hotline api-key create|list|revoke` end to end (real subprocesses, as an operator runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HOTLINE = str(Path(sys.executable).with_name("hotline"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_CONFIG": "",
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hotline.db'}",
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOTLINE, "api-key", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_create_list_and_revoke_a_key(env: dict[str, str]) -> None:
    """create prints the key once, list never shows it, revoke ends it, a second create works."""
    created = _run(env, "create", "--name", "city-platform")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("o311_") and len(key) > 40
    assert _run(env, "create", "--name", "city-platform").returncode == 1
    listing = _run(env, "list", "--json")
    [row] = json.loads(listing.stdout)
    assert row["name"] == "city-platform" and row["revoked_at"] is None
    assert key not in listing.stdout and key.startswith(row["prefix"])
    assert _run(env, "revoke", "city-platform").returncode == 0
    assert _run(env, "create", "--name", "city-platform").returncode == 0
    rows = json.loads(_run(env, "list", "--json").stdout)
    assert [r["revoked_at"] is None for r in rows] == [False, True]


def test_bad_client_names_are_refused(env: dict[str, str]) -> None:
    """A name with spaces or markup is refused before touching the database."""
    result = _run(env, "create", "--name", "<b>bad name</b>")
    assert result.returncode == 2 and "--name" in result.stderr
