"""Reading the configuration file, without pydantic or any settings model: the error type, the
file and the environment overrides. `bot.config` validates the whole of it; `hotline route`
validates only the tables it needs (`bot.routersettings`) and so starts without building the
twenty other models (a third of a second)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


# env var -> (table, key): secrets and deployment-specific values that should not live in a file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "HOTLINE_DATABASE_URL": ("database", "url"),
    "HOTLINE_TELEGRAM_TOKEN": ("telegram", "token"),
    "HOTLINE_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "HOTLINE_WECHAT_SECRET": ("wechat", "secret"),
    "HOTLINE_WECHAT_TOKEN": ("wechat", "token"),
    "HOTLINE_WECHAT_AES_KEY": ("wechat", "encoding_aes_key"),
    "HOTLINE_RESIDENT_WEB_SECRET": ("resident_web", "secret"),
    "HOTLINE_WEB_SECRET": ("web", "secret"),
}


def read_config(
    path: str | Path | None = None, *, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], str | Path | None]:
    """The tables of `path` (or $HOTLINE_CONFIG; none: {}) with the env overrides applied, and
    the file chosen (for messages)."""
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    chosen = path if path is not None else environ.get("HOTLINE_CONFIG")
    if chosen:
        file = Path(chosen)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {file}") from exc
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {file}: {exc}") from exc
    for var, (table, key) in ENV_OVERRIDES.items():
        value = environ.get(var)
        if value:
            raw.setdefault(table, {})[key] = value
    return raw, chosen


def invalid(error: ValidationError, chosen: str | Path | None) -> ConfigError:
    """The ConfigError for a validation failure: one line naming the file and the keys."""
    where = f" in {chosen}" if chosen else ""
    return ConfigError(f"invalid configuration{where}: {one_line(error)}")


def one_line(error: ValidationError) -> str:
    """Pydantic's report as one line: `table.key: message; ...` (the CLI prints one line)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
