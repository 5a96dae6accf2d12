"""Configuration loading: defaults, the example file, env overrides and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_serve_without_a_file() -> None:
    """With no file and no env, the embedded SQLite default is used."""
    settings = load_settings(None, env={})
    assert settings.database.url.startswith("sqlite+aiosqlite:///var/")
    assert settings.telegram.token is None


def test_example_file_is_valid_and_equals_defaults() -> None:
    """config.example.toml parses, validates, and documents the built-in defaults."""
    example = load_settings(ROOT / "config.example.toml", env={})
    assert example == Settings()


def test_every_key_in_the_example_is_commented() -> None:
    """Each key line of the example file has a comment right above it or a commented table."""
    lines = (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith(("#", "[")) and "=" in line:
            assert lines[i - 1].startswith("#"), f"key without comment: {line}"
    tomllib.loads("\n".join(lines))


def test_env_var_overrides_file_and_env_config_path(tmp_path: Path) -> None:
    """HOTLINE_CONFIG selects the file; secrets from env win over the file."""
    file = tmp_path / "c.toml"
    file.write_text('[telegram]\ntoken = "1:file"\n', encoding="utf-8")
    settings = load_settings(
        None, env={"HOTLINE_CONFIG": str(file), "HOTLINE_TELEGRAM_TOKEN": "1:env"}
    )
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "1:env"
    assert "1:env" not in repr(settings)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[database\nurl=1", "cannot read"),
        ("[intake]\ncase_prefx = 'AN'", "case_prefx"),
        ("[intake]\ncase_prefix = 'an-'", "case_prefix"),
        ("[telegram]\nframework = 'telethon'", "framework"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, content: str, fragment: str) -> None:
    """A broken or misspelt file is refused with a message naming the problem."""
    file = tmp_path / "bad.toml"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_settings(file, env={})


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    """A --config path that does not exist is an error, not silently the defaults."""
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_kb_defaults_match_the_knowledge_base_defaults() -> None:
    """[kb] thresholds default to the values nlp.kb was fitted with."""
    from nlp.kb.retrieval import DEFAULT_MIN_COVERAGE, DEFAULT_MIN_SCORE

    settings = Settings()
    assert settings.kb.min_score == DEFAULT_MIN_SCORE
    assert settings.kb.min_coverage == DEFAULT_MIN_COVERAGE


def test_route_reads_the_same_router_tables_and_errors(tmp_path: Path) -> None:
    """`hotline route` validates only [directory] and [router], with the models and messages of
    the full settings (a mistake elsewhere is left to the commands that read it)."""
    from bot.routersettings import load_route_settings

    example = ROOT / "config.example.toml"
    full, light = load_settings(example, env={}), load_route_settings(example, env={})
    assert (light.router, light.directory) == (full.router, full.directory)
    file = tmp_path / "bad.toml"
    file.write_text("[router]\nretrain = true\n[sla]\nnonsense = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as light_error:
        load_route_settings(file, env={})
    assert "router: retrain = true needs model = PATH" in str(light_error.value)
    assert "nonsense" not in str(light_error.value)
    file.write_text("[router]\nmodle = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"in .*bad\.toml: router\.modle"):
        load_route_settings(file, env={})
