"""The `hotline` command end to end, as an operator or a script uses it (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HOTLINE = str(Path(sys.executable).with_name("hotline"))
SCRIPT = "1\n建宁路上的路灯坏了一个多月了，晚上很黑\n跳过\n留下电话\n13912345678\n不允许\n提交\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_CONFIG": "",
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hotline.db'}",
    }


def _hotline(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [HOTLINE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_piped_chat_files_a_case_that_the_case_commands_show(env: dict[str, str]) -> None:
    """A script files a complaint via `hotline chat`; `hotline cases` and `case show` list it."""
    _hotline(env, "db", "upgrade")
    transcript = _hotline(env, "chat", "--user", "script", stdin=SCRIPT)
    assert "  [1] 投诉" in transcript and "已受理，工单号" in transcript
    cases = json.loads(_hotline(env, "cases", "--json"))
    assert len(cases) == 1
    case = cases[0]
    assert case["unit"] == "区城市管理局" and case["category"] == "城乡建设"
    assert case["state"] == "dispatched"
    detail = json.loads(_hotline(env, "case", "show", case["number"], "--json"))
    assert [e["action"] for e in detail["events"]][:2] == ["submitted", "dispatched"]
    # Staff views mask the phone number.
    assert detail["contact"] == "139****5678"
    assert "13912345678" not in _hotline(env, "case", "show", case["number"])
    filtered = json.loads(
        _hotline(env, "cases", "--unit", "区城市管理局", "--state", "dispatched", "--json")
    )
    assert [c["number"] for c in filtered] == [case["number"]]


def test_unknown_unit_and_case_are_clear_errors(env: dict[str, str]) -> None:
    """Asking for a unit not in the directory, or a missing case, fails with a message."""
    _hotline(env, "db", "upgrade")
    result = subprocess.run(
        [HOTLINE, "cases", "--unit", "不存在局"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2 and "unknown unit" in result.stderr
    result = subprocess.run(
        [HOTLINE, "case", "show", "AN20990101-0001"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1 and "no case" in result.stderr


def test_bad_config_file_is_reported(tmp_path: Path, env: dict[str, str]) -> None:
    """A broken --config file stops the command with exit 2 and names the problem."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[intake]\ncase_prefix = 'lowercase'\n", encoding="utf-8")
    result = subprocess.run(
        [HOTLINE, "cases", "--config", str(bad)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2 and "case_prefix" in result.stderr


def test_route_command_does_not_load_the_database_layer(tmp_path: Path) -> None:
    """`hotline route` imports neither SQLAlchemy, a messaging or web library, the SLA and
    calendar settings nor, without a model, scikit-learn and its numerics; from a warm cache not
    even jieba (start-up ≤ 1 s)."""
    probe = (
        "import sys, argparse, bot.cli; from bot.commands import route;"
        "bot.cli.build_parser('route');"
        "route._load(argparse.Namespace(config=None, model=None));"
        "heavy = [m for m in ('sqlalchemy', 'aiogram', 'telegram', 'wechatpy', 'apscheduler',"
        " 'aiohttp', 'redis', 'jinja2', 'chinese_calendar', 'handlers', 'bot.config',"
        " 'sklearn', 'scipy', 'numpy', 'joblib', 'openpyxl', 'jieba') if m in sys.modules];"
        "print(heavy)"
    )
    env = {**os.environ, "HOTLINE_CONFIG": "", "HOTLINE_NLP_CACHE": str(tmp_path)}
    cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert cold.returncode == 0, cold.stderr
    assert cold.stdout.strip() == "['jieba']"  # the first run builds the cached dictionary
    warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.strip() == "[]"


def test_help_lists_every_command_without_importing_them(env: dict[str, str]) -> None:
    """`hotline --help` names every command."""
    out = _hotline(env, "--help")
    for name in ("route", "nlp", "db", "chat", "case", "cases", "run", "staff", "report", "sweep"):
        assert f"    {name} " in out
