"""What the resident pages share: their dependencies, the resident's identity, CSRF, limits,
security headers and template rendering."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.config import ResidentWebSettings
from bot.web.residentchat.labels import LABELS
from bot.web.residentchat.live import LivePages
from bot.web.residentchat.signing import Signer, new_resident_id
from handlers.context import CoreDeps
from handlers.conversation.core import Conversation
from handlers.conversation.flood import FloodGuard, Verdict
from storage.media import MediaStore

COOKIE = "hl_resident"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
# No inline script or style anywhere: the pages load their own files only. `blob:` shows the
# preview of a photo before upload; no referrer, so a case link never leaks to another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class ResidentChatDeps:
    """Built once at start-up; `pages` is shared with the web channel's outbox sender."""

    conversation: Conversation
    media: MediaStore
    settings: ResidentWebSettings
    pages: LivePages = field(default_factory=LivePages)

    @property
    def core(self) -> CoreDeps:
        return self.conversation.deps


def signing_secret(settings: ResidentWebSettings) -> bytes:
    if settings.secret is not None and settings.secret.get_secret_value():
        return settings.secret.get_secret_value().encode()
    # No secret configured: a fresh one per start (links and cookies end at a restart).
    return secrets.token_bytes(32)


class Guard:
    """Identity, CSRF and rate limits of the resident pages."""

    def __init__(self, deps: ResidentChatDeps, signer: Signer) -> None:
        settings = deps.settings
        self.signer = signer
        self.settings = settings
        self.clock = deps.core.clock
        self._per_address = FloodGuard(
            limit=settings.requests_per_address_per_minute, window_seconds=60
        )
        self._per_resident = FloodGuard(
            limit=settings.messages_per_resident_per_minute, window_seconds=60
        )
        self._lookups = FloodGuard(limit=settings.lookups_per_address_per_hour, window_seconds=3600)

    def resident(self, request: web.Request) -> str | None:
        return self.signer.resident_of(request.cookies.get(COOKIE))

    def ensure_resident(self, request: web.Request) -> tuple[str, bool]:
        """The resident of this browser, and whether the cookie must be set (a new one)."""
        resident = self.resident(request)
        return (resident, False) if resident else (new_resident_id(), True)

    def set_cookie(self, response: web.StreamResponse, resident: str) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.resident_cookie(resident),
            max_age=self.settings.cookie_days * 86400,
            path="/chat",
            httponly=True,
            secure=self.settings.cookie_secure,
            samesite="Lax",
        )

    def require_post(self, request: web.Request, token: str | None) -> str:
        """The resident behind a state-changing request with a valid CSRF token; 403 otherwise."""
        resident = self.resident(request)
        if resident is None or not self.signer.csrf_ok(resident, token):
            raise web.HTTPForbidden(text="CSRF check failed: reload the page")
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="cross-site request refused")
        return resident

    def admit_address(self, request: web.Request) -> bool:
        now = self.clock.now().timestamp()
        return self._per_address.check(("web-addr", request.remote or "-"), now) is Verdict.ADMIT

    def admit_resident(self, resident: str) -> bool:
        now = self.clock.now().timestamp()
        return self._per_resident.check(("web-resident", resident), now) is Verdict.ADMIT

    def admit_lookup(self, request: web.Request) -> bool:
        now = self.clock.now().timestamp()
        return self._lookups.check(("web-lookup", request.remote or "-"), now) is Verdict.ADMIT


class Pages:
    """Jinja2 templates of this package, always autoescaped."""

    def __init__(self, language: str) -> None:
        self.labels = LABELS[language]
        self.language = language
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def render(self, name: str, *, status: int = 200, **values: Any) -> web.Response:
        html = self._env.get_template(name).render(
            labels=self.labels, lang="zh-CN" if self.language == "zh" else "en", **values
        )
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store"
        return response


def too_many() -> web.Response:
    return web.json_response({"error": "busy"}, status=429, headers={"Retry-After": "60"})


class Views:
    """What the resident pages' handlers share: the deps, the cookie guard, the templates and
    the signer (the chat page and the case page subclass it)."""

    def __init__(self, deps: ResidentChatDeps, guard: Guard, pages: Pages, signer: Signer) -> None:
        self.deps = deps
        self.guard = guard
        self.pages = pages
        self.signer = signer
        self.core = deps.core
