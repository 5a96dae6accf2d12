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
_NO_BOT_API = "cannot reach the Telegram Bot API: {text}"


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


# (library, exception class) → exit code and the line said; {text} is the error's first line.
_KNOWN: dict[tuple[str, str], tuple[int, str]] = {
    ("sqlalchemy", "ArgumentError"): (EXIT_CONFIG, "bad database URL: {text}"),
    ("sqlalchemy", "NoSuchModuleError"): (
        EXIT_CONFIG,
        "unknown database driver in the URL: {text}",
    ),
    ("asyncpg", "InvalidCatalogNameError"): (EXIT_CONFIG, "unknown PostgreSQL database: {text}"),
    ("asyncpg", "InvalidPasswordError"): (EXIT_CONFIG, "PostgreSQL refused the login: {text}"),
    ("asyncpg", "InvalidAuthorizationSpecificationError"): (
        EXIT_CONFIG,
        "PostgreSQL refused the login: {text}",
    ),
    ("aiogram", "TokenValidationError"): (EXIT_CONFIG, "telegram token is malformed"),
    ("aiogram", "TelegramUnauthorizedError"): (
        EXIT_CONFIG,
        "Telegram refused the token (401 Unauthorized)",
    ),
    ("aiogram", "TelegramNetworkError"): (EXIT_UNAVAILABLE, _NO_BOT_API),
    ("telegram", "InvalidToken"): (EXIT_CONFIG, "Telegram refused the token: {text}"),
    ("telegram", "NetworkError"): (EXIT_UNAVAILABLE, _NO_BOT_API),
    ("telegram", "TimedOut"): (EXIT_UNAVAILABLE, _NO_BOT_API),
}
# Anything else these libraries raise means the service could not be used: said by its name.
_SERVICE = {"asyncpg": "PostgreSQL", "aiogram": "Telegram Bot API", "redis": "Redis"}
# SQLAlchemy's wrappers of a driver's error: the driver's own error says what it was.
_WRAPPERS = ("OperationalError", "InterfaceError", "DBAPIError", "ProgrammingError")


def _explain_one(exc: BaseException) -> tuple[int, str] | None:
    name = type(exc).__name__
    library = type(exc).__module__.split(".")[0]
    text = _first_line(exc)
    known = _KNOWN.get((library, name))
    if known is not None:
        return known[0], known[1].format(text=text)
    if library == "sqlalchemy" and name in _WRAPPERS:
        inner = getattr(exc, "orig", None)
        for wrapped in (getattr(inner, "__cause__", None), inner):
            if wrapped is not None and type(wrapped).__module__.startswith("asyncpg"):
                return _explain_one(wrapped)
        return EXIT_UNAVAILABLE, f"database error: {_first_line(inner) if inner else text}"
    if library in _SERVICE:
        return EXIT_UNAVAILABLE, f"{_SERVICE[library]}: {text}"
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
