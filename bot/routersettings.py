"""The [directory] and [router] tables, apart from the rest of the configuration so that
`hotline route` validates only them (`load_route_settings`) and starts without building every
other settings model; `bot.config.Settings` uses the same two models."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.configfile import invalid, read_config


class _Table(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class DirectorySettings(_Table):
    # None means the built-in default directory (Lanzhou, Anning district) shipped in nlp/data.
    data_dir: Path | None = None


class RouterSettings(_Table):
    # Below this confidence the resident is asked to pick a category; see design.md §4.
    confidence_threshold: float = Field(default=0.45, ge=0.0, le=1.0)
    # A learned model (`hotline nlp train`); None: the keyword router alone (issue 10).
    model: Path | None = None
    # A receiving centre's catalogue (派单目录) mapping; None: `centre_catalogue.toml` in the
    # directory's data folder if there is one.
    centre_catalogue: Path | None = None
    # Scheduled retrain on the stored examples (off by default); needs `model`.
    retrain: bool = False
    retrain_time: time = time(3, 0)
    retrain_recent_weeks: int = Field(default=2, ge=1, le=52)
    retrain_min_examples: int = Field(default=200, ge=10)
    # How often a running bot looks whether the model file changed (another instance's retrain
    # replaced it) and loads it again.
    model_check_seconds: int = Field(default=60, ge=5)

    @model_validator(mode="after")
    def _retrain_needs_a_model_path(self) -> RouterSettings:
        if self.retrain and self.model is None:
            raise ValueError("retrain = true needs model = PATH (where the retrained model goes)")
        return self


class RouteSettings(_Table):
    """What `hotline route` reads: the same tables, keys and errors as in `Settings`."""

    directory: DirectorySettings = DirectorySettings()
    router: RouterSettings = RouterSettings()


def load_route_settings(
    path: str | Path | None = None, *, env: dict[str, str] | None = None
) -> RouteSettings:
    """The [directory] and [router] tables of the configuration (the other tables are left to
    the commands that use them)."""
    raw, chosen = read_config(path, env=env)
    try:
        tables = {k: raw[k] for k in ("directory", "router") if k in raw}
        return RouteSettings.model_validate(tables)
    except ValidationError as exc:
        raise invalid(exc, chosen) from exc
