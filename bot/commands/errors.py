"""Errors the CLI meets at the edges (configuration, database, Bot API, Redis) as one line.

An operator who mistypes a URL or starts the bot while PostgreSQL is down gets one line naming
what failed and a non-zero exit, not a 100-line traceback (issue 9). Exceptions not listed here
are bugs and keep their traceback.
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import NoReturn

# Exit codes: 2 = the configuration or the command line is wrong, 1 = a service is unreachable.
EXIT_CONFIG, EXIT_UNAVAILABLE = 2, 1


class UsageError(Exception):
    """Arguments that parse but do not make sense together (`--from` after `--to`): one line,
    exit 2, like argparse's own errors."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`hotline sweep: argument --now: ...`)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see --help)\n")


def explain(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for an edge error, or None for anything else."""
    for cause in _chain(exc):
        found = _explain_one(cause)
        if found is not None:
            return found
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _explain_one(exc: BaseException) -> tuple[int, str] | None:
    name = type(exc).__name__
    module = type(exc).__module__
    text = _first_line(exc)
    if module.startswith("sqlalchemy"):
        if name == "ArgumentError":
            return EXIT_CONFIG, f"bad database URL: {text}"
        if name == "NoSuchModuleError":
            return EXIT_CONFIG, f"unknown database driver in the URL: {text}"
        if name in ("OperationalError", "InterfaceError", "DBAPIError", "ProgrammingError"):
            inner = getattr(exc, "orig", None)
            # The driver's own error, unwrapped from SQLAlchemy's adapter, says what it was.
            for wrapped in (getattr(inner, "__cause__", None), inner):
                if wrapped is not None and type(wrapped).__module__.startswith("asyncpg"):
                    return _explain_one(wrapped)
            detail = _first_line(inner) if inner is not None else text
            return EXIT_UNAVAILABLE, f"database error: {detail}"
    if module.startswith("asyncpg"):
        if name == "InvalidCatalogNameError":
            return EXIT_CONFIG, f"unknown PostgreSQL database: {text}"
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return EXIT_CONFIG, f"PostgreSQL refused the login: {text}"
        return EXIT_UNAVAILABLE, f"PostgreSQL: {text}"
    if module.startswith("aiogram"):
        if name == "TokenValidationError":
            return EXIT_CONFIG, "telegram token is malformed"
        if name == "TelegramUnauthorizedError":
            return EXIT_CONFIG, "Telegram refused the token (401 Unauthorized)"
        if name == "TelegramNetworkError":
            return EXIT_UNAVAILABLE, f"cannot reach the Telegram Bot API: {text}"
        return EXIT_UNAVAILABLE, f"Telegram Bot API: {text}"
    if module.startswith("telegram"):
        if name == "InvalidToken":
            return EXIT_CONFIG, f"Telegram refused the token: {text}"
        if name in ("NetworkError", "TimedOut"):
            return EXIT_UNAVAILABLE, f"cannot reach the Telegram Bot API: {text}"
    if module.startswith("redis"):
        return EXIT_UNAVAILABLE, f"Redis: {text}"
    if isinstance(exc, socket.gaierror):
        return EXIT_UNAVAILABLE, f"unknown host: {text}"
    if isinstance(exc, ConnectionError | TimeoutError):
        return EXIT_UNAVAILABLE, f"connection failed: {text or name}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return EXIT_UNAVAILABLE, f"{text}"
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def report(code: int, line: str) -> int:
    print(f"hotline: {line}", file=sys.stderr)
    return code
