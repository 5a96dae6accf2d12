"""Logging set-up: one format, personal data masked in every line, noisy libraries quietened."""

from __future__ import annotations

import logging
import sys

from handlers.validation import mask_personal_data


class PersonalDataFilter(logging.Filter):
    """Masks phone and ID-card numbers in the formatted message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_all_handlers() -> None:
    """Put the masking filter on every handler of every logger, not only on ours.

    A filter on the root handler does not see records that another handler prints first:
    SQLAlchemy's `echo = true` installs its own stream handler on `sqlalchemy.engine`, which
    printed raw phone numbers in statement parameters (issue 9). Call again after anything that
    may add a handler (the app calls it once the engine exists).
    """
    loggers: list[logging.Logger] = [logging.getLogger()]
    for candidate in list(logging.root.manager.loggerDict.values()):
        if isinstance(candidate, logging.Logger):
            loggers.append(candidate)
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(PersonalDataFilter())


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # jieba logs its dictionary loading at DEBUG to stderr; SQLAlchemy echo has its own switch.
    for name in ("jieba", "aiosqlite", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mask_all_handlers()
