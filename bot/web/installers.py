"""Surfaces that `hotline run` adds to the web app besides the staff workbench.

Append an `install(app, deps)` here (Open311, the resident web chat, ...). Public routes go on
the root app under their own prefix; they are not behind the staff login, and must do their own
checks (API keys, rate limits, CSRF for their forms).
"""

from __future__ import annotations

from bot.web.app import Installer

INSTALLERS: list[Installer] = []
