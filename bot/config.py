"""Configuration: one pydantic model per TOML table, read from `config.toml`-style files.

Precedence: built-in defaults < the file (``--config PATH`` or env ``HOTLINE_CONFIG``) < env vars
for secrets and the database URL (``HOTLINE_DATABASE_URL``, ``HOTLINE_TELEGRAM_TOKEN``, ...), so a
production secret never has to sit in a file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from handlers.sla import SlaSettings
from handlers.workcalendar import CalendarSettings


class _Table(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Table):
    url: str = "sqlite+aiosqlite:///var/hotline.db"
    echo: bool = False
    pool_size: int = Field(default=8, ge=1, le=200)


class DirectorySettings(_Table):
    # None means the built-in default directory (Lanzhou, Anning district) shipped in nlp/data.
    data_dir: Path | None = None


class RouterSettings(_Table):
    # Below this confidence the resident is asked to pick a category; see design.md §4.
    confidence_threshold: float = Field(default=0.45, ge=0.0, le=1.0)


class IntakeSettings(_Table):
    case_prefix: str = Field(default="AN", pattern=r"^[A-Z]{1,6}$")
    min_description_chars: int = Field(default=5, ge=1)
    max_description_chars: int = Field(default=1000, ge=20, le=4000)
    max_place_chars: int = Field(default=200, ge=10)
    max_photos: int = Field(default=5, ge=0, le=20)
    max_category_asks: int = Field(default=1, ge=0, le=3)


class TelegramSettings(_Table):
    token: SecretStr | None = None
    framework: Literal["aiogram", "ptb"] = "aiogram"
    api_base_url: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram/webhook"


class Settings(_Table):
    language: Literal["zh", "en"] = "zh"
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    directory: DirectorySettings = DirectorySettings()
    router: RouterSettings = RouterSettings()
    intake: IntakeSettings = IntakeSettings()
    telegram: TelegramSettings = TelegramSettings()
    calendar: CalendarSettings = CalendarSettings()
    sla: SlaSettings = SlaSettings()


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


# env var -> (table, key): secrets and deployment-specific values that should not live in a file.
_ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "HOTLINE_DATABASE_URL": ("database", "url"),
    "HOTLINE_TELEGRAM_TOKEN": ("telegram", "token"),
    "HOTLINE_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
}


def load_settings(path: str | Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Read settings from `path` (or $HOTLINE_CONFIG), then apply env overrides."""
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
    for var, (table, key) in _ENV_OVERRIDES.items():
        value = environ.get(var)
        if value:
            raw.setdefault(table, {})[key] = value
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        where = f" in {chosen}" if chosen else ""
        raise ConfigError(f"invalid configuration{where}:\n{exc}") from exc
