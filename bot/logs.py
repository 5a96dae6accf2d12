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
