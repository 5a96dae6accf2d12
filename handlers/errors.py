"""The core's exceptions. A `UserError` carries the text key of the reply the person gets."""

from __future__ import annotations


class HotlineError(Exception):
    """Base of the core's own errors."""


class UserError(HotlineError):
    """Bad input or a refused action: answered with a clear message, nothing changed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
