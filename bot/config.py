"""Configuration: one pydantic model per TOML table, read from `config.toml`-style files.

The file is read by `bot.configfile`; the [directory] and [router] tables' models live in
`bot.routersettings` (so `hotline route` can validate them alone). Precedence: built-in
defaults < the file (``--config PATH`` or env ``HOTLINE_CONFIG``) < env vars for secrets and
the database URL (``HOTLINE_DATABASE_URL``, ``HOTLINE_TELEGRAM_TOKEN``, ...), so a production
secret never has to sit in a file.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.configfile import ConfigError, invalid, one_line, read_config
from bot.routersettings import DirectorySettings, RouterSettings, _Table
from handlers.policy.sla import SlaSettings
from handlers.policy.workcalendar import CalendarSettings
from handlers.texts import languages

__all__ = ["ConfigError", "DirectorySettings", "RouterSettings", "Settings", "load_settings",
           "one_line"]  # fmt: skip


class DatabaseSettings(_Table):
    url: str = "sqlite+aiosqlite:///var/hotline.db"
    echo: bool = False
    pool_size: int = Field(default=8, ge=1, le=200)


class KnowledgeBaseSettings(_Table):
    """The knowledge base for questions (issue 14)."""

    enabled: bool = True
    # An answer needs both thresholds; nlp.kb.retrieval explains the defaults.
    min_score: float = Field(default=4.0, ge=0.0)
    min_coverage: float = Field(default=0.3, ge=0.0, le=1.0)
    # None: the "kb" folder next to the directory data (built-in Anning set by default).
    data_dir: Path | None = None
    # Approved proposals are written here and loaded with the shipped entries.
    local_dir: Path = Path("var/kb")


class IntakeSettings(_Table):
    case_prefix: str = Field(default="AN", pattern=r"^[A-Z]{1,6}$")
    min_description_chars: int = Field(default=5, ge=1)
    max_description_chars: int = Field(default=1000, ge=20, le=4000)
    max_place_chars: int = Field(default=200, ge=10)
    max_photos: int = Field(default=5, ge=0, le=20)
    max_category_asks: int = Field(default=1, ge=0, le=3)
    flood_messages: int = Field(default=30, ge=1)
    flood_window_seconds: float = Field(default=60.0, gt=0)


_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,200}$")


class TelegramSettings(_Table):
    # A [telegram] table must either carry a token or say `enabled = false` (issue 9): a table
    # without one used to start the console silently and exit 0.
    enabled: bool = True
    token: SecretStr | None = None
    framework: Literal["aiogram", "ptb"] = "aiogram"
    api_base_url: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram/webhook"
    # Rate limits of one bot token: "memory" (this process only; the embedded default) or
    # "redis" (shared by every instance running the same token).
    rate_limit_backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # A turn's direct replies: how long to keep retrying a transient failure (5xx, network, 429)
    # before the reply is handed to the outbox instead.
    reply_retry_seconds: float = Field(default=10.0, ge=0, le=60)
    # Every reply of a turn is written to the outbox with the turn, leased to the instance that
    # answers; if that instance dies, the outbox sends it after this lease (storage.replies).
    reply_lease_seconds: float = Field(default=60.0, ge=5, le=600)

    @model_validator(mode="after")
    def _usable(self) -> TelegramSettings:
        if not self.enabled:
            return self
        if self.token is None:
            raise ValueError("the [telegram] table has no token (set one or enabled = false)")
        token = self.token.get_secret_value().strip()
        if not token:
            raise ValueError("telegram token is empty")
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("telegram token is malformed (expected digits:secret from BotFather)")
        if self.mode == "webhook":
            if not self.webhook_url:
                raise ValueError("telegram webhook mode needs webhook_url (the public https URL)")
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise ValueError(
                    "telegram webhook mode needs webhook_secret: 1-256 of A-Z a-z 0-9 _ -"
                )
        return self

    @property
    def active(self) -> bool:
        """Telegram runs: enabled and a token given (checked above)."""
        return self.enabled and self.token is not None


class WeChatMenuItem(_Table):
    """One button of the 公众号 custom menu: a hotline action, a web page (`url`), or a group
    of up to 5 buttons (`sub`). WeChat allows 3 top-level buttons, named in at most 16 bytes
    (4 Chinese characters); a sub-button's name may have 60 bytes."""

    name: str = Field(min_length=1, max_length=20)
    action: Literal["new", "mycases", "status", "help"] | None = None
    url: str | None = None
    sub: list[WeChatMenuItem] = Field(default_factory=list, max_length=5)


class WeChatTemplateSettings(_Table):
    """Pushes outside the 48-hour window: a template (模板消息) or subscribe (订阅通知) message."""

    kind: Literal["template", "subscribe"] = "template"
    template_id: str
    # Template field -> text with {summary} (first line of the push), {text}, {time}, {notice}.
    fields: dict[str, str] = Field(default_factory=lambda: {"first": "{summary}"})
    # Values longer than this are cut (subscribe "thing" fields take at most 20 characters).
    max_field_chars: int = Field(default=20, ge=1, le=200)
    url: str | None = None


def _default_menu() -> list[WeChatMenuItem]:
    return [
        WeChatMenuItem(name="我要投诉", action="new"),
        WeChatMenuItem(
            name="工单查询",
            sub=[
                WeChatMenuItem(name="我的工单", action="mycases"),
                WeChatMenuItem(name="查询进度", action="status"),
            ],
        ),
        WeChatMenuItem(name="帮助", action="help"),
    ]


class WeChatSettings(_Table):
    app_id: str | None = None
    # The account's original id (原始ID, gh_...): messages addressed to another account get 403.
    original_id: str | None = Field(default=None, pattern=r"^gh_[0-9A-Za-z]{6,32}$")
    secret: SecretStr | None = None
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    # plain (明文), compatible (兼容: both accepted) or safe (安全: encrypted only).
    mode: Literal["plain", "compatible", "safe"] = "safe"
    path: str = Field(default="/wechat/callback", pattern=r"^/")
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    timestamp_window_seconds: int = Field(default=300, ge=10)
    reply_budget_seconds: float = Field(default=4.0, gt=0, lt=5)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    api_timeout_seconds: float = Field(default=5.0, gt=0)
    kf_window_hours: float = Field(default=48, gt=0)
    kf_quota_per_window: int = Field(default=5, ge=1)
    menu: list[WeChatMenuItem] = Field(default_factory=_default_menu, max_length=3)
    template: WeChatTemplateSettings | None = None

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # EncodingAESKey is 43 base64 characters (a 32-byte AES key without its trailing '=').
        if value is not None and not re.fullmatch(r"[A-Za-z0-9+/]{43}", value.get_secret_value()):
            raise ValueError("encoding_aes_key must be the 43-character EncodingAESKey")
        return value

    @property
    def configured(self) -> bool:
        """The credentials are all there (every mode but plain also needs the AES key)."""
        needed: list[str | SecretStr | None] = [self.app_id, self.secret, self.token]
        if self.mode != "plain":
            needed.append(self.encoding_aes_key)
        return all(_given(value) for value in needed)


def _given(value: str | SecretStr | None) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


class MediaSettings(_Table):
    """The media store: photos kept as files so they cross channels (storage/media.py)."""

    dir: Path = Path("var/media")
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)


class OutboxSettings(_Table):
    """The outbox sender (issue 4): attempts, back-off, claim sizes."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    base_backoff_seconds: float = Field(default=2.0, gt=0)
    max_backoff_seconds: float = Field(default=1800.0, gt=0)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    concurrency: int = Field(default=16, ge=1, le=1000)
    lease_seconds: float = Field(default=30.0, ge=5)


class SchedulerSettings(_Table):
    """Scheduled jobs (issue 4); the database says what is due, these say how often to look."""

    outbox_interval_seconds: float = Field(default=1.0, gt=0)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    sweep_batch_size: int = Field(default=200, ge=1, le=10_000)
    digest_time: time = time(8, 30)
    bulletin_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    bulletin_time: time = time(9, 0)


class WebSettings(_Table):
    """The web workbench (issue 11): pages for dispatchers, unit staff and supervisors."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # The address people open (behind a proxy, the proxy's); links printed by the CLI use it.
    # None: http://<listen>:<port>.
    public_url: str | None = None
    # Keys the session-token hashes and the login form's CSRF cookie. Env HOTLINE_WEB_SECRET.
    # None: a random key per process (sessions end when the process restarts).
    secret: SecretStr | None = None
    cookie_name: str = Field(default="hotline_session", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    # None: Secure cookies exactly when public_url is https.
    cookie_secure: bool | None = None
    session_idle_minutes: int = Field(default=120, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    # Failed logins allowed per account name and per address within the window.
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    setup_link_hours: int = Field(default=24, ge=1)
    # How often the case list asks for new cases (htmx polling).
    poll_seconds: int = Field(default=5, ge=1, le=300)
    page_size: int = Field(default=50, ge=5, le=500)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.listen in ("0.0.0.0", "::", "") else self.listen  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")


class DuplicateSettings(_Table):
    """Duplicate candidates on filing and 并单 (issue 13)."""

    enabled: bool = True
    auto_similarity: float = Field(default=0.5, ge=0.0, le=1.0)
    suggest_similarity: float = Field(default=0.15, ge=0.0, le=1.0)
    radius_m: float = Field(default=300.0, gt=0, le=500)
    closed_days: int = Field(default=7, ge=0, le=90)
    area_days: int = Field(default=14, ge=1, le=365)


class HotspotSettings(_Table):
    """Spike (热点) alerts per sub-category × place (issue 13)."""

    enabled: bool = True
    interval_minutes: float = Field(default=5.0, gt=0)
    window_hours: float = Field(default=6.0, gt=0, le=168)
    baseline_weeks: int = Field(default=4, ge=1, le=52)
    min_count: int = Field(default=4, ge=2)
    ratio: float = Field(default=3.0, ge=1.0)
    cooldown_hours: float = Field(default=24.0, gt=0)
    top_terms: int = Field(default=8, ge=1, le=30)


class Open311Settings(_Table):
    """The Open311 GeoReport v2 API at /open311/v2/ (issue 12)."""

    # The jurisdiction_id served (the district government's web domain). A request naming
    # another gets 404; one naming none is served, as the spec allows for one jurisdiction.
    jurisdiction_id: str = "lzanning.gov.cn"
    posts_per_key_per_minute: int = Field(default=60, ge=1)
    requests_per_address_per_minute: int = Field(default=600, ge=1)
    # GET requests without dates: the last `default_days`; at most `max_requests` returned.
    default_days: int = Field(default=90, ge=1)
    max_requests: int = Field(default=1000, ge=1, le=10_000)
    max_description_chars: int = Field(default=4000, ge=10)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)


class ResidentWebSettings(_Table):
    """The resident web chat at /chat and the case pages (issue 12)."""

    # Signs the resident cookie, CSRF tokens and case-page links. Unset: a random secret per
    # process start, so cookies and links stop working at a restart (fine for `make run`).
    secret: SecretStr | None = None
    # Set behind HTTPS, so the browser sends the cookies over HTTPS only.
    cookie_secure: bool = False
    cookie_days: int = Field(default=365, ge=1)
    requests_per_address_per_minute: int = Field(default=240, ge=1)
    messages_per_resident_per_minute: int = Field(default=40, ge=1)
    # Largest chat message body in bytes (a photo is limited by [media] max_bytes).
    max_message_bytes: int = Field(default=8192, ge=512)
    # "Find my cases" tries (phone and case number) per address and hour.
    lookups_per_address_per_hour: int = Field(default=10, ge=1)


class Settings(_Table):
    # Any language with a catalogue file in handlers/catalogues/ ("zh", "en").
    language: str = "zh"
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    directory: DirectorySettings = DirectorySettings()
    router: RouterSettings = RouterSettings()
    kb: KnowledgeBaseSettings = KnowledgeBaseSettings()
    intake: IntakeSettings = IntakeSettings()
    # No [telegram] table: Telegram is off (the embedded default runs the console).
    telegram: TelegramSettings = TelegramSettings(enabled=False)
    wechat: WeChatSettings = WeChatSettings()
    media: MediaSettings = MediaSettings()
    calendar: CalendarSettings = CalendarSettings()
    sla: SlaSettings = SlaSettings()
    outbox: OutboxSettings = OutboxSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    duplicates: DuplicateSettings = DuplicateSettings()
    hotspots: HotspotSettings = HotspotSettings()
    open311: Open311Settings = Open311Settings()
    resident_web: ResidentWebSettings = ResidentWebSettings()

    @field_validator("language")
    @classmethod
    def _has_catalogue(cls, value: str) -> str:
        # Adding a language is adding its catalogue file, so the file list is the allowed list.
        if value not in languages():
            raise ValueError(f"no catalogue for {value!r}; available: {', '.join(languages())}")
        return value


def load_settings(path: str | Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Read settings from `path` (or $HOTLINE_CONFIG), then apply env overrides."""
    raw, chosen = read_config(path, env=env)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc, chosen) from exc
